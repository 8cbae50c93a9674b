using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo.Tests.Api;

/// <summary>
/// <c>/openapi/v1.json</c>, read with the OpenAPI reader a client generator uses, against the routes the
/// silo maps under <c>/v1</c>: a route added without its documentation fails here.
/// </summary>
[Collection(SharedApiSilos.Name)]
[Trait(TestTier.Category, TestTier.External)]
public sealed class OpenApiDocumentTests(ApiSilos silos)
{
    [Fact]
    public async Task TheDocumentDescribesEveryRouteTheApiMapsWithItsMethod()
    {
        var text = await silos.Working.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var read = OpenApiDocument.Parse(text, "json");
        var document = read.Document!;
        var routes = await MappedRoutesAsync();

        Assert.Empty(read.Diagnostic?.Errors ?? []);
        Assert.Contains(("POST", "/v1/jobs"), routes);
        Assert.Contains(("GET", "/v1/jobs/{id}/events"), routes);
        foreach (var (method, path) in routes)
        {
            Assert.True(document.Paths.TryGetValue(path, out var item), $"{path} is not in the document");
            OpenApiOperation? operation = null;
            Assert.True(item.Operations?.TryGetValue(new HttpMethod(method), out operation) == true, $"{method} {path} is not in the document");
            Assert.False(string.IsNullOrWhiteSpace(operation!.Summary), $"{method} {path} has no summary");
            Assert.False(string.IsNullOrWhiteSpace(operation.Description), $"{method} {path} has no description");
            Assert.Contains(operation.Responses!, r => r.Key.StartsWith('2') && r.Value.Content?.Count > 0);
        }

        // Nothing described that the silo does not map, and nothing of the silo's beside the API.
        Assert.Equal(routes.Count, document.Paths.Sum(p => p.Value.Operations?.Count ?? 0));

        // A job's fields are described as the request's schema, typed, with their defaults.
        var body = document.Paths["/v1/jobs"].Operations![HttpMethod.Post].RequestBody!.Content!["application/json"].Schema!;
        Assert.Equal(["input", "output"], body.Required!.Order(StringComparer.Ordinal));
        Assert.Equal("L4", body.Properties!["mode"].Default?.GetValue<string>());
        Assert.Equal(JsonSchemaType.Boolean, body.Properties["geojson"].Type);
        Assert.False(string.IsNullOrWhiteSpace(body.Properties["tile"].Description));
        var status = document.Paths["/v1/jobs/{id}"].Operations![HttpMethod.Get].Responses!["200"].Content!["application/json"].Schema!;
        Assert.Contains("imagesPerSecond", status.Properties!.Keys);
    }

    /// <summary>Every method and route the silo maps under <c>/v1</c>, read from the built application's endpoints.</summary>
    private static async Task<List<(string Method, string Path)>> MappedRoutesAsync()
    {
        var app = SiloApplication.Build([], new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Cluster:Clustering"] = "Localhost",
            ["Inference:Devices"] = "cpu",
            ["Inference:WarmupModel"] = "",
        });
        await using (app)
        {
            return [.. ((IEndpointRouteBuilder)app).DataSources
                .SelectMany(source => source.Endpoints)
                .OfType<RouteEndpoint>()
                .Where(endpoint => endpoint.RoutePattern.RawText?.StartsWith(JobApi.Prefix, StringComparison.Ordinal) == true)
                .SelectMany(endpoint => endpoint.Metadata.GetRequiredMetadata<IHttpMethodMetadata>().HttpMethods
                    .Select(method => (method, endpoint.RoutePattern.RawText!.TrimEnd('/'))))];
        }
    }
}
