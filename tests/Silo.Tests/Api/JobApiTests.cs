using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests.Api;

/// <summary>The job API of a real silo, as a script or notebook calls it: jobs submitted, followed and read to their end.</summary>
[Collection(SharedApiSilos.Name)]
[Trait(TestTier.Category, TestTier.External)]
public sealed class JobApiTests(ApiSilos silos)
{
    private ApiSilo Silo => silos.Working;

    [Fact]
    public async Task ASubmittedJobIsCreatedFollowedToItsEndAndItsReportReadBack()
    {
        var output = silos.NewOutput();

        using var created = await Silo.SubmitAsync(new { input = silos.Images, output, model = silos.Model, shardSize = 1, priority = "high" });
        var submitted = await Silo.ReadAsync<JobView>(created);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/jobs/{submitted.JobId}", created.Headers.Location?.OriginalString);
        Assert.Equal(silos.Images, submitted.Input);
        Assert.Equal(JobPriority.High, submitted.Priority);

        await using var events = await EventFeed.OpenAsync(Silo.Http, submitted.JobId);
        Assert.Equal("text/event-stream", events.Response.Content.Headers.ContentType?.MediaType);
        var read = await events.ReadUntilAsync(e => e.Event == "end");

        Assert.Equal("2000", read[0].Retry);
        Assert.Equal("status", read[1].Event);
        var end = read[^1].Status;
        Assert.Equal(JobState.Completed, end.State);
        Assert.Equal(6, end.Done);
        Assert.Equal("6:0", read[^1].Id);
        Assert.Null(await events.NextAsync());

        // Every status sent carried new counts or a new state; each id is processed:failuresSent.
        var statuses = read.Where(e => e.Event == "status").ToList();
        Assert.Equal(statuses.Count, statuses.Select(e => (e.Status.State, e.Status.Done, e.Status.InProgress)).Distinct().Count());
        Assert.All(statuses, e => Assert.Equal($"{e.Status.Done + e.Status.Failed + e.Status.Skipped + e.Status.LeftOut}:0", e.Id));
        Assert.Equal(JobState.Completed, statuses[^1].Status.State);

        using var report = await Silo.Http.GetAsync(new Uri($"/v1/jobs/{submitted.JobId}/report", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("application/json", report.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName)), await report.Content.ReadAsStringAsync());

        var status = await Silo.StatusAsync(submitted.JobId);
        Assert.Equal((JobState.Completed, 6, 6, end.Finished), (status.State, status.Total, status.Done, status.Finished));
        using var list = await Silo.Http.GetAsync(new Uri("/v1/jobs", UriKind.Relative));
        var listed = Assert.Single(await Silo.ReadAsync<List<JobView>>(list), j => j.JobId == submitted.JobId);
        Assert.Equal(JobState.Completed, listed.State);
        Assert.Equal(JobPriority.High, listed.Priority);
        Assert.NotNull(listed.Submitted);
    }

    [Fact]
    public async Task TheSameJobUnderTheSameIdIsTheSameJobAndAnotherIsRefused()
    {
        var id = $"api-same-{Guid.NewGuid():N}";
        var job = new { id, input = silos.Images, output = silos.NewOutput(), model = silos.Model, priority = 3 };

        using var first = await Silo.SubmitAsync(job);
        using var again = await Silo.SubmitAsync(job);
        using var other = await Silo.SubmitAsync(job with { priority = 4 });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await Silo.ReadAsync<JobView>(again)).JobId);
        Assert.Equal(3, (await Silo.ReadAsync<JobView>(first)).Priority);
        var conflict = await Problem.ReadAsync(other, HttpStatusCode.Conflict);
        Assert.Equal($"job {id} already exists with a different specification; choose another job id.", conflict.Detail);
        using var list = await Silo.Http.GetAsync(new Uri("/v1/jobs", UriKind.Relative));
        Assert.Single(await Silo.ReadAsync<List<JobView>>(list), j => j.JobId == id);
    }

    [Fact]
    public async Task AJobTheClusterDoesNotKnowIsAProblemOnEveryRoute()
    {
        foreach (var (method, path) in new[] { ("GET", ""), ("DELETE", ""), ("GET", "/report"), ("GET", "/events") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri($"/v1/jobs/no-such-job{path}", UriKind.Relative));
            using var response = await Silo.Http.SendAsync(request);

            var problem = await Problem.ReadAsync(response, HttpStatusCode.NotFound);
            Assert.Equal("no job 'no-such-job' in this cluster; GET /v1/jobs lists its jobs.", problem.Detail);
        }
    }

    [Theory]
    [InlineData("""{"input": "{images}", "output": "{output}", "tile": 17}""", "--tile 17: the tile size must be a multiple of 16 and at least 16.")]
    [InlineData("""{"input": "{images}", "output": "{output}", "mode": "L7"}""", "--mode L7: 'L7' is not an inference mode; use one of L1, L2, L3, L4, accurate.")]
    [InlineData("""{"input": "images", "output": "{output}"}""", "input images: a local path must be absolute here; the silo does not know the folder you call from.")]
    [InlineData("""{"input": "{images}", "output": "out/masks"}""", "output out/masks: a local path must be absolute here; the silo does not know the folder you call from.")]
    [InlineData("""{"input": "{images}", "output": "{output}", "tiles": 64}""", "tiles: a job has no such field; /openapi/v1.json lists those it has.")]
    [InlineData("""{"input": "{images}", "output": "{output}", "tile": 64, "Tile": 64}""", "Tile: given twice; give each field once.")]
    [InlineData("""{"input": "{images}"}""", "output: missing; a job needs input and output.")]
    [InlineData("""{"input": "{images}", "output": "{output}", "overlap": "a quarter"}""", "overlap \"a quarter\": expected a number. overlap: Fraction of a tile shared with its neighbours.")]
    [InlineData("""{"input": "{images}", "output": "{output}", "tta": "yes"}""", "tta \"yes\": expected true or false. tta: Test-time augmentation: average each tile with its horizontal, vertical and double flips (about 4× the inference).")]
    [InlineData("""{"input": "{images}", "output": "{output}", "priority": 11}""", "--priority 11: use low, normal, high or a whole number from -10 to 10.")]
    [InlineData("""{"input": "{images}", "output": "{output}", "priority": [1]}""", "priority [1]: use low, normal, high or a whole number from -10 to 10.")]
    [InlineData("""{"input": nowhere}""", "the body is not JSON (line 1, byte 12): give a job as a JSON object such as {\"input\": \"/data/images\", \"output\": \"/data/masks\"}.")]
    [InlineData("""["{images}"]""", "the body is not a JSON object: give a job as {\"input\": \"/data/images\", \"output\": \"/data/masks\"} with any other fields.")]
    public async Task AJobItCannotRunIsRefusedBeforeAnythingStartsNamingTheField(string body, string detail)
    {
        var output = silos.NewOutput();
        var json = body.Replace("{images}", silos.Images, StringComparison.Ordinal).Replace("{output}", output, StringComparison.Ordinal);
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        using var response = await Silo.Http.PostAsync(new Uri("/v1/jobs", UriKind.Relative), content);

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(detail.Replace("{output}", output, StringComparison.Ordinal), problem.Detail);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task TheClusterListsTheSilosWorker()
    {
        using var response = await Silo.Http.GetAsync(new Uri("/v1/cluster", UriKind.Relative));

        var worker = Assert.Single(await Silo.ReadAsync<List<WorkerView>>(response));
        Assert.Equal(Silo.Process.Endpoint, worker.Silo);
        Assert.Equal("cpu", worker.Device);
        Assert.True(worker.Answering);
    }

    [Theory]
    [InlineData("GET", "/v1/nothing-here", HttpStatusCode.NotFound, "GET /v1/nothing-here: the job API has no such route; /openapi/v1.json lists its routes.")]
    [InlineData("PUT", "/v1/jobs", HttpStatusCode.MethodNotAllowed, "/v1/jobs does not take PUT; /openapi/v1.json lists the methods of each route.")]
    public async Task ARouteTheApiDoesNotHaveIsAProblem(string method, string path, HttpStatusCode status, string detail)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        using var response = await Silo.Http.SendAsync(request);

        Assert.Equal(detail, (await Problem.ReadAsync(response, status)).Detail);
    }
}

/// <summary>An RFC 9457 problem as the job API answers it.</summary>
public sealed record Problem(string Type, string Title, int Status, string? Detail)
{
    /// <summary>The problem in <paramref name="response"/>, checked to be one of <paramref name="status"/> with its media type.</summary>
    public static async Task<Problem> ReadAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}, not {(int)status}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<Problem>(text, JsonSerializerOptions.Web)!;
        Assert.Equal((int)status, problem.Status);
        Assert.StartsWith("https://", problem.Type, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(problem.Title));
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        return problem;
    }
}
