namespace UNetPP.Cluster.Storage;

/// <summary>A read asked for an object that is not in the store; the message names the object and the location.</summary>
public sealed class StorageObjectNotFoundException : FileNotFoundException
{
    public StorageObjectNotFoundException()
    {
    }

    public StorageObjectNotFoundException(string message)
        : base(message)
    {
    }

    public StorageObjectNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StorageObjectNotFoundException(string name, string location, Exception? innerException = null)
        : base($"Object '{name}' was not found in {location}.", name, innerException)
    {
        ObjectName = name;
    }

    /// <summary>The missing object's name relative to its store.</summary>
    public string? ObjectName { get; }
}
