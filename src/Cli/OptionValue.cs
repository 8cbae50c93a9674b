namespace UNetPP.Cluster.Cli;

/// <summary>Reads an option's word (a mode, a device) with the reader that knows its values, so a refusal names the option and the value.</summary>
public static class OptionValue
{
    public static T Read<T>(string option, string value, Func<string, T> read)
    {
        try
        {
            return read(value);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new UsageException($"{option} {value}: {Reason(ex)}");
        }
    }

    /// <summary>The message without the parameter name an argument exception appends: the user named an option, not a parameter.</summary>
    public static string Reason(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
}
