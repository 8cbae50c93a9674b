namespace UNetPP.Cluster.Segmentation;

/// <summary>
/// Reads a setting's word (a mode, a device, a priority) with the reader that knows its values, so a
/// refusal names the setting and the value: the command line and the job API refuse it alike.
/// </summary>
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
            throw new ArgumentException($"{option} {value}: {Reason(ex)}");
        }
    }

    /// <summary>The message without the parameter name an argument exception appends: the user named a setting, not a parameter.</summary>
    public static string Reason(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
}
