using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// The HTTP/JSON job API that every silo serves under <c>/v1</c> beside its metrics and health: the
/// command line's calls as endpoints, its errors as <c>application/problem+json</c>, and the OpenAPI
/// document made from the endpoints themselves at <c>/openapi/v1.json</c>.
/// </summary>
public static class JobApi
{
    /// <summary>Where every route of the API starts.</summary>
    public const string Prefix = "/v1";

    /// <summary>The name of the API's OpenAPI document (<c>/openapi/v1.json</c>).</summary>
    public const string DocumentName = "v1";

    public static IHostApplicationBuilder AddJobApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services => new SegmentationClient(services.GetRequiredService<IGrainFactory>()));
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ApiProblems.Describe);
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            // The silo's other routes (metrics, health, the dashboard) are not the API's.
            options.ShouldInclude = description => description.RelativePath is { } path && (path == Prefix[1..] || path.StartsWith($"{Prefix[1..]}/", StringComparison.Ordinal));
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "UNetPP.Cluster job API";
                document.Info.Description = "Submit, follow, cancel and read the reports of segmentation jobs on a UNetPP.Cluster; the same calls and checks as the unetpp command line. Errors are application/problem+json with detail the line the command line prints for the same mistake.";
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // Each optional field of a job says what leaving it out means.
                if (context.JsonTypeInfo.Type == typeof(JobRequest) && schema.Properties is { } fields)
                {
                    foreach (var field in context.JsonTypeInfo.Properties.Where(p => !p.IsRequired))
                    {
                        if (field.Get?.Invoke(JobRequest.Defaults) is { } value && fields.TryGetValue(field.Name, out var described) && described is OpenApiSchema concrete)
                        {
                            concrete.Default = JsonSerializer.SerializeToNode(value, field.PropertyType, context.JsonTypeInfo.Options);
                        }
                    }
                }

                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>
    /// Answers every error under <see cref="Prefix"/> as a problem, those the framework raises itself (no
    /// such route, a method a route does not take, a refused caller, a fault) included. Goes before
    /// authentication, so that its refusals are problems too.
    /// </summary>
    public static WebApplication UseJobApiProblems(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix), api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
        });
        return app;
    }

    public static WebApplication MapJobApi(this WebApplication app)
    {
        app.MapOpenApi();
        var v1 = app.MapGroup(Prefix);
        JobEndpoints.Map(v1);
        ClusterEndpoint.Map(v1);
        return app;
    }
}
