#!/usr/bin/env python3
"""Segment a folder of images on a running UNetPP.Cluster and follow the job to its end.

    python3 example.py IMAGES OUTPUT [--url http://127.0.0.1:8080] [--id JOB] [--objects]

IMAGES and OUTPUT are absolute paths every silo sees (or az:// locations). The API key, when the
silo asks for one, comes from the UNETPP_API_KEY environment variable, never the command line.
Prints one line per event and the report's counts; exits 0 when every image was done, 1 when some
failed, 2 when the cluster refused the job, 130 when Ctrl-C stopped the following (not the job).
"""

import argparse
import os
import sys

from unetpp_client import ApiError, Cluster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images")
    parser.add_argument("output")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="a silo's HTTP address")
    parser.add_argument("--id", help="a job id: running the example again follows the same job")
    parser.add_argument("--objects", action="store_true", help="also measure every object (objects.csv, objects.parquet)")
    args = parser.parse_args()

    cluster = Cluster(args.url, api_key=os.environ.get("UNETPP_API_KEY"))
    try:
        job = cluster.submit(os.path.abspath(args.images), os.path.abspath(args.output), id=args.id, objects=args.objects)
    except ApiError as refused:
        print(f"refused: {refused.detail or refused}", file=sys.stderr)
        return 2

    job_id = job["jobId"]
    print(f"job {job_id}: {job['state']}, {job['total']} image(s)")
    final = job
    try:
        for event in cluster.events(job_id):
            if event.kind == "failure":
                print(f"  failed {event.data['name']}: {event.data['reason']}")
            else:
                data = event.data
                print(f"  {event.kind}: {data['state']}, {data['done']} done, {data['failed']} failed of {data['total']}")
                final = data
    except KeyboardInterrupt:
        # Ctrl-C stops the watching only: the job is the cluster's, and goes on there.
        print(f"stopped following job {job_id}; it goes on in the cluster (cluster.cancel({job_id!r}) stops it)", file=sys.stderr)
        return 130

    report = cluster.report(job_id)
    counts = report.get("counts", {})
    print(f"report: {counts.get('done')} done, {counts.get('failed')} failed; masks in {args.output}")
    return 0 if final["state"] == "Completed" else 1


if __name__ == "__main__":
    sys.exit(main())
