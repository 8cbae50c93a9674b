// Compiled by MSBuild's RoslynCodeTaskFactory (see LibTorchSharp.targets), not by the Training project, so it
// keeps to what that factory references: netstandard and MSBuild's own assemblies, no spans.
using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 shared library weak (VER_FLG_WEAK in its .gnu.version_r
/// entry), unless the system library that would satisfy it already defines that version. The file is replaced
/// through a temporary copy and a rename, so a hard link into the NuGet cache is never written through.
/// </summary>
public sealed class MarkElfVersionWeak : Task
{
    private const uint VersionNeedsSection = 0x6ffffffe; // SHT_GNU_verneed
    private const ushort WeakFlag = 0x2; // VER_FLG_WEAK

    /// <summary>The shared library to patch, in a build or publish output folder.</summary>
    [Required]
    public string Library { get; set; }

    /// <summary>The version name whose requirement becomes weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required]
    public string Version { get; set; }

    /// <summary>Where the loader looks for the library that defines the version; the first that exists counts.</summary>
    [Required]
    public string[] SystemLibraries { get; set; }

    public override bool Execute()
    {
        var system = SystemLibraries.FirstOrDefault(File.Exists);
        if (system != null && IndexOf(File.ReadAllBytes(system), Encoding.ASCII.GetBytes("\0" + Version + "\0")) >= 0)
        {
            Log.LogMessage(MessageImportance.Low, "{0} defines {1}; {2} is left as it is.", system, Version, Library);
            return true;
        }

        try
        {
            var bytes = File.ReadAllBytes(Library);
            var flags = FindRequirementFlags(bytes);
            if (flags < 0)
            {
                Log.LogMessage(MessageImportance.Normal, "{0} does not require {1}; nothing to mark.", Library, Version);
                return true;
            }

            if ((ReadUInt16(bytes, flags) & WeakFlag) != 0)
            {
                return true;
            }

            WriteUInt16(bytes, flags, (ushort)(ReadUInt16(bytes, flags) | WeakFlag));
            var temporary = Library + ".weak";
            File.WriteAllBytes(temporary, bytes);

            // Keeping the copy's time (and size) lets the next build's copy step see it as up to date and skip it.
            File.SetLastWriteTimeUtc(temporary, File.GetLastWriteTimeUtc(Library));
            File.Replace(temporary, Library, null);
            Log.LogMessage(
                MessageImportance.Normal,
                "Marked {0}'s requirement of {1} weak: the system libstdc++ ({2}) does not define it.",
                Library, Version, system ?? "not found");
            return true;
        }
        catch (InvalidDataException e)
        {
            Log.LogError("Cannot mark {0} in {1}: {2}", Version, Library, e.Message);
            return false;
        }
    }

    /// <summary>The file offset of the vna_flags field of the requirement named <see cref="Version"/>, or -1.</summary>
    private int FindRequirementFlags(byte[] elf)
    {
        // e_ident: magic, ELFCLASS64, ELFDATA2LSB.
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("not a little-endian ELF64 file");
        }

        var sectionTable = ToOffset(elf, ReadUInt64(elf, 0x28));
        var sectionSize = ReadUInt16(elf, 0x3a);
        var sectionCount = ReadUInt16(elf, 0x3c);
        for (var s = 0; s < sectionCount; s++)
        {
            var header = sectionTable + (s * sectionSize);
            if (ReadUInt32(elf, header + 4) != VersionNeedsSection)
            {
                continue;
            }

            // sh_link names the string table; sh_info counts the Verneed entries.
            var strings = ToOffset(elf, ReadUInt64(elf, sectionTable + ((int)ReadUInt32(elf, header + 40) * sectionSize) + 24));
            var need = ToOffset(elf, ReadUInt64(elf, header + 24));
            for (var n = ReadUInt32(elf, header + 44); n > 0; n--)
            {
                // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
                var aux = need + (int)ReadUInt32(elf, need + 8);
                for (var a = ReadUInt16(elf, need + 2); a > 0; a--)
                {
                    // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                    if (ReadString(elf, strings + (int)ReadUInt32(elf, aux + 8)) == Version)
                    {
                        return aux + 4;
                    }

                    aux += (int)ReadUInt32(elf, aux + 12);
                }

                need += (int)ReadUInt32(elf, need + 12);
            }
        }

        return -1;
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            var k = 0;
            while (k < needle.Length && haystack[i + k] == needle[k])
            {
                k++;
            }

            if (k == needle.Length)
            {
                return i;
            }
        }

        return -1;
    }

    private static string ReadString(byte[] elf, int offset)
    {
        var end = Array.IndexOf(elf, (byte)0, Check(elf, offset, 1));
        if (end < 0)
        {
            throw new InvalidDataException("unterminated string");
        }

        return Encoding.ASCII.GetString(elf, offset, end - offset);
    }

    private static int ToOffset(byte[] elf, ulong value) => Check(elf, value > int.MaxValue ? -1 : (int)value, 1);

    private static int Check(byte[] elf, int offset, int length)
    {
        if (offset < 0 || offset > elf.Length - length)
        {
            throw new InvalidDataException("an offset points outside the file");
        }

        return offset;
    }

    private static ushort ReadUInt16(byte[] elf, int offset)
    {
        Check(elf, offset, 2);
        return (ushort)(elf[offset] | (elf[offset + 1] << 8));
    }

    private static uint ReadUInt32(byte[] elf, int offset) =>
        ReadUInt16(elf, offset) | ((uint)ReadUInt16(elf, offset + 2) << 16);

    private static ulong ReadUInt64(byte[] elf, int offset) =>
        ReadUInt32(elf, offset) | ((ulong)ReadUInt32(elf, offset + 4) << 32);

    private static void WriteUInt16(byte[] elf, int offset, ushort value)
    {
        elf[offset] = (byte)value;
        elf[offset + 1] = (byte)(value >> 8);
    }
}
