using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// Reads the body of <c>POST /v1/jobs</c> into a <see cref="JobRequest"/>, refusing in the user's words
/// what JSON alone can get wrong: a body that is not a JSON object, a field that a job does not have (a
/// typo would silently run another job), one given twice or missing, a value of the wrong kind, and a
/// relative local path (the silo's working folder is not the caller's). What the words mean is checked
/// after, by <see cref="JobRequest.ToSpec"/>, as on the command line.
/// </summary>
internal static class JobRequestBody
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonTypeInfo Fields = Json.GetTypeInfo(typeof(JobRequest));

    /// <exception cref="ArgumentException">What is wrong with the body, naming the field.</exception>
    public static async Task<JobRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"the body is not JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): give a job as a JSON object such as {{\"input\": \"/data/images\", \"output\": \"/data/masks\"}}.");
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    private static JobRequest Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("the body is not a JSON object: give a job as {\"input\": \"/data/images\", \"output\": \"/data/masks\"} with any other fields.");
        }

        var given = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in body.EnumerateObject())
        {
            _ = Field(field.Name) ?? throw new ArgumentException($"{field.Name}: a job has no such field; /openapi/v1.json lists those it has.");
            if (!given.Add(field.Name))
            {
                throw new ArgumentException($"{field.Name}: given twice; give each field once.");
            }
        }

        var required = Fields.Properties.Where(p => p.IsRequired).Select(p => p.Name).ToList();
        if (required.FirstOrDefault(name => !given.Contains(name)) is { } missing)
        {
            throw new ArgumentException($"{missing}: missing; a job needs {string.Join(" and ", required)}.");
        }

        JobRequest job;
        try
        {
            job = body.Deserialize<JobRequest>(Json)!;
        }
        catch (JsonException ex) when (ex.Path?.StartsWith("$.", StringComparison.Ordinal) == true && Field(ex.Path[2..]) is { } field)
        {
            throw new ArgumentException(WrongKind(field, body));
        }

        return job with
        {
            Input = Located("input", job.Input),
            Output = Located("output", job.Output),
            Model = job.Model is { } model ? Located("model", model) : null,
            Labels = job.Labels is { } labels ? Located("labels", labels) : null,
        };
    }

    /// <summary>A local path as the silos take it, whole and plain (as the command line makes it); a blob location as it is.</summary>
    private static string Located(string field, string location) =>
        !JobRequest.IsLocal(location) ? location
        : Path.IsPathFullyQualified(location) ? Path.GetFullPath(location)
        : throw new ArgumentException($"{field} {location}: a local path must be absolute here; the silo does not know the folder you call from.");

    private static JsonPropertyInfo? Field(string name) =>
        Fields.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>A value that does not read as its field's kind: the field, the value, what it takes, as the command line says it.</summary>
    private static string WrongKind(JsonPropertyInfo field, JsonElement body)
    {
        var value = body.EnumerateObject().First(p => string.Equals(p.Name, field.Name, StringComparison.OrdinalIgnoreCase)).Value.GetRawText();
        var member = ((MemberInfo)field.AttributeProvider!).Name;
        if (member == nameof(JobRequest.Priority))
        {
            return $"{field.Name} {value}: {JobPriority.Allowed}.";
        }

        var kind = Nullable.GetUnderlyingType(field.PropertyType) ?? field.PropertyType;
        var expected = kind == typeof(int) || kind == typeof(long) ? "a whole number"
            : kind == typeof(double) ? "a number"
            : kind == typeof(bool) ? "true or false"
            : "text";
        return $"{field.Name} {value}: expected {expected}. {field.Name}: {JobRequest.Describe(member)}";
    }
}
