using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// A token bucket per caller of the job API (<see cref="RateLimitSettings"/>): per key or token
/// subject once authenticated, per client address while the API is open. A refused request gets
/// 429 problem+json with <c>Retry-After</c>. Tokens are taken when a request starts, so an event
/// stream costs one however long it stays open.
/// </summary>
internal static class ApiRateLimit
{
    public const string PolicyName = "unetpp-api";

    public static IServiceCollection AddApiRateLimit(this IServiceCollection services, RateLimitSettings settings) =>
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(PolicyName, context => RateLimitPartition.GetTokenBucketLimiter(Caller(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Burst,
                TokensPerPeriod = settings.Requests,
                ReplenishmentPeriod = settings.Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
            o.OnRejected = (rejected, _) => RefuseAsync(rejected, settings);
        });

    private static string Caller(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { } name } identity
            ? $"{identity.AuthenticationType}:{name}"
            : $"address:{context.Connection.RemoteIpAddress}";

    private static async ValueTask RefuseAsync(OnRejectedContext rejected, RateLimitSettings settings)
    {
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : settings.Period;
        var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"More than {settings.Burst} requests at once, or {settings.Requests} every {settings.Period:c}, from this caller: try again in {seconds} s.");
        await TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(rejected.HttpContext);
    }
}
