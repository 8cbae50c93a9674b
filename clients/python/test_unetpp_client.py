"""The client's own rules, without a cluster: how event streams are read and refusals reported.

    python3 -m unittest discover -s clients/python
"""

import io
import json
import unittest
import urllib.error

from unetpp_client import ApiError, _EventParser, _problem


def feed(parser, text):
    events = []
    for line in text.split("\n"):
        event = parser.feed(line)
        if event is not None:
            events.append(event)
    return events


class EventStreamTests(unittest.TestCase):
    def test_events_carry_their_kind_data_and_id(self):
        parser = _EventParser()
        events = feed(parser, 'retry: 2000\n\nid: 3:0\nevent: status\ndata: {"state": "Running", "done": 3}\n\n'
                              'id: 4:1\nevent: failure\ndata: {"name": "a.png", "reason": "not an image"}\n\n')
        self.assertEqual([e.kind for e in events], ["status", "failure"])
        self.assertEqual(events[0].data["done"], 3)
        self.assertEqual(events[1].data["name"], "a.png")
        self.assertEqual((events[1].id, parser.last_id, parser.retry_ms), ("4:1", "4:1", 2000))

    def test_comments_are_keep_alives_and_make_no_event(self):
        parser = _EventParser()
        self.assertEqual(feed(parser, ": keep-alive\n\n: keep-alive\n\n"), [])

    def test_data_over_several_lines_is_joined_with_newlines(self):
        events = feed(_EventParser(), 'event: end\ndata: {"state":\ndata:  "Completed"}\n\n')
        self.assertEqual(events[0].data, {"state": "Completed"})

    def test_an_event_without_a_kind_is_a_message_and_the_kind_does_not_carry_over(self):
        events = feed(_EventParser(), 'event: status\ndata: {}\n\ndata: {"x": 1}\n\n')
        self.assertEqual([e.kind for e in events], ["status", "message"])

    def test_the_last_id_is_kept_for_reconnecting_even_across_events_without_one(self):
        parser = _EventParser(last_id="7:2")
        feed(parser, 'event: status\ndata: {}\n\n')
        self.assertEqual(parser.last_id, "7:2")


class RefusalTests(unittest.TestCase):
    def test_a_problem_gives_its_status_title_and_detail(self):
        body = json.dumps({"title": "Bad job", "status": 400, "detail": "--tile 17: the tile size must be a multiple of 16 and at least 16."})
        error = urllib.error.HTTPError("http://x/v1/jobs", 400, "Bad Request", {}, io.BytesIO(body.encode()))
        problem = _problem(error)
        self.assertIsInstance(problem, ApiError)
        self.assertEqual((problem.status, problem.title), (400, "Bad job"))
        self.assertIn("multiple of 16", str(problem))

    def test_a_body_that_is_not_a_problem_still_gives_the_status(self):
        error = urllib.error.HTTPError("http://x/v1/jobs", 502, "Bad Gateway", {}, io.BytesIO(b"upstream down"))
        problem = _problem(error)
        self.assertEqual((problem.status, problem.detail), (502, "upstream down"))


if __name__ == "__main__":
    unittest.main()
