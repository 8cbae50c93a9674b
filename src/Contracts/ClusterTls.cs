using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// TLS between silos and between clients and silos, mutual: every end shows a certificate issued by
/// the cluster's own certificate authority, and refuses one that is not. Identity is that issuer, not a
/// host name, since silos are reached at addresses that come and go. The silo reads it from section
/// <c>Cluster:Tls</c>, the <c>unetpp</c> client from its <c>--tls-*</c> options; both ends apply the same
/// rule here. The certificate's password comes from configuration or the environment, never the command line.
/// </summary>
public sealed class ClusterTls
{
    /// <summary>This end's certificate with its private key, as PKCS#12 (.pfx, .p12).</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>The certificate (PEM or DER) of the authority whose certificates the other ends must show.</summary>
    public string? TrustedAuthorityPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(TrustedAuthorityPath);

    /// <summary>Every problem, each naming its setting; none when TLS is off or can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        if (!Enabled)
        {
            return [];
        }

        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(CertificatePath) || string.IsNullOrWhiteSpace(TrustedAuthorityPath))
        {
            problems.Add("Cluster:Tls:CertificatePath and Cluster:Tls:TrustedAuthorityPath go together: set both for TLS, or neither.");
            return problems;
        }

        try
        {
            using var certificate = LoadCertificate();
            if (!certificate.HasPrivateKey)
            {
                problems.Add($"Cluster:Tls:CertificatePath {CertificatePath}: the certificate has no private key.");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"Cluster:Tls:CertificatePath {CertificatePath}: cannot be read ({ex.Message.TrimEnd('.')}; is Cluster:Tls:CertificatePassword right?).");
        }

        try
        {
            LoadAuthority().Dispose();
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"Cluster:Tls:TrustedAuthorityPath {TrustedAuthorityPath}: cannot be read ({ex.Message.TrimEnd('.')}).");
        }

        return problems;
    }

    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadPkcs12FromFile(CertificatePath!, CertificatePassword);

    public X509Certificate2 LoadAuthority() => X509CertificateLoader.LoadCertificateFromFile(TrustedAuthorityPath!);

    /// <summary>Both ends must show a certificate, and it must chain to <paramref name="authority"/>.</summary>
    public static void Configure(TlsOptions options, X509Certificate2 certificate, X509Certificate2 authority)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (presented, _, _) => IssuedBy(presented, authority);
    }

    /// <summary>Whether a certificate chains to the authority alone (the system's roots are not trusted for this).</summary>
    public static bool IssuedBy(X509Certificate2 presented, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }
}
