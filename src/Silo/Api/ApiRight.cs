namespace UNetPP.Cluster.Silo.Api;

/// <summary>What a caller of the job API may do; each endpoint requires one.</summary>
public enum ApiRight
{
    /// <summary>Start jobs (<c>POST /v1/jobs</c>).</summary>
    Submit,

    /// <summary>See jobs, their reports and events, and the cluster.</summary>
    Read,

    /// <summary>Stop jobs (<c>DELETE /v1/jobs/{id}</c>).</summary>
    Cancel,
}
