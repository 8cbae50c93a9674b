using System.Text;

namespace UNetPP.Cluster.Storage.Tests;

public sealed class LocalObjectStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("unetpp-local-store-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Listing_is_recursive_in_ordinal_order_with_sizes_and_slash_separators()
    {
        var store = new LocalObjectStore(_root);
        foreach (var name in new[] { "b.png", "a/z.png", "a/b/c.tif", "A.png", "a.png" })
        {
            await store.WriteAsync(name, Encoding.UTF8.GetBytes(name));
        }

        var listed = await ToListAsync(store.ListAsync(""));

        Assert.Equal(["A.png", "a.png", "a/b/c.tif", "a/z.png", "b.png"], listed.Select(o => o.Name));
        Assert.All(listed, o => Assert.Equal(Encoding.UTF8.GetByteCount(o.Name), o.Length));
        Assert.Equal(["a/b/c.tif", "a/z.png"], (await ToListAsync(store.ListAsync("a/"))).Select(o => o.Name));
        Assert.Equal(["a.png", "a/b/c.tif", "a/z.png"], (await ToListAsync(store.ListAsync("a"))).Select(o => o.Name));
    }

    [Fact]
    public async Task Listing_by_a_file_stem_finds_what_starts_with_it_case_sensitively()
    {
        var store = new LocalObjectStore(_root);
        foreach (var name in new[] { "sub/n1.png", "sub/n1_mask.png", "sub/n10.png", "sub/N1.png", "sub/x/n1.png", "sub/n1/deep.png", "n1.png" })
        {
            await store.WriteAsync(name, Encoding.UTF8.GetBytes(name));
        }

        var listed = await ToListAsync(store.ListAsync("sub/n1"));

        Assert.Equal(["sub/n1.png", "sub/n1/deep.png", "sub/n10.png", "sub/n1_mask.png"], listed.Select(o => o.Name));
    }

    [Fact]
    public async Task A_missing_root_lists_nothing()
    {
        var store = new LocalObjectStore(Path.Combine(_root, "not-yet"));

        Assert.Empty(await ToListAsync(store.ListAsync("")));
    }

    [Fact]
    public async Task Writes_create_folders_overwrite_and_leave_no_temporary_files()
    {
        var store = new LocalObjectStore(_root);

        await store.WriteAsync("masks/deep/one.png", new byte[] { 1, 2, 3 });
        await store.WriteAsync("masks/deep/one.png", new byte[] { 9 });

        Assert.Equal(new byte[] { 9 }, await store.ReadAsync("masks/deep/one.png"));
        Assert.Equal(["masks/deep/one.png"], Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f)));
    }

    [Fact]
    public async Task A_cancelled_write_leaves_neither_the_object_nor_a_temporary_file()
    {
        var store = new LocalObjectStore(_root);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync("out/x.png", new byte[1000], cancelled.Token));

        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Temporary_files_of_a_write_in_flight_are_not_listed()
    {
        var store = new LocalObjectStore(_root);
        await store.WriteAsync("x.png", new byte[] { 1 });
        await File.WriteAllBytesAsync(Path.Combine(_root, ".y.png.0123" + LocalObjectStore.TemporarySuffix), [1]);

        Assert.Equal(["x.png"], (await ToListAsync(store.ListAsync(""))).Select(o => o.Name));
    }

    [Fact]
    public async Task Exists_and_delete_are_idempotent()
    {
        var store = new LocalObjectStore(_root);
        await store.WriteAsync("a/b.png", new byte[] { 1 });

        Assert.True(await store.ExistsAsync("a/b.png"));
        await store.DeleteAsync("a/b.png");
        await store.DeleteAsync("a/b.png");
        await store.DeleteAsync("no/such/folder.png");
        Assert.False(await store.ExistsAsync("a/b.png"));
    }

    [Fact]
    public async Task Deleting_the_last_object_of_a_folder_removes_the_folder_as_blob_prefixes_vanish()
    {
        var store = new LocalObjectStore(_root);
        await store.WriteAsync("parts/job/a/1.bin", new byte[] { 1 });
        await store.WriteAsync("parts/job/2.bin", new byte[] { 2 });

        await store.DeleteAsync("parts/job/a/1.bin");
        Assert.False(Directory.Exists(Path.Combine(_root, "parts", "job", "a")));
        Assert.True(Directory.Exists(Path.Combine(_root, "parts", "job")));

        await store.DeleteAsync("parts/job/2.bin");
        Assert.False(Directory.Exists(Path.Combine(_root, "parts")));
        Assert.True(Directory.Exists(_root));
    }

    [Fact]
    public async Task A_stream_is_written_whole_and_read_back_seekably_as_a_stream()
    {
        var store = new LocalObjectStore(_root);
        var payload = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 13)).ToArray();

        await store.WriteAsync("big/one.tif", new MemoryStream(payload));

        await using var read = await store.OpenReadAsync("big/one.tif");
        Assert.True(read.CanSeek);
        Assert.Equal(payload.Length, read.Length);
        read.Position = 299_990;
        var tail = new byte[10];
        await read.ReadExactlyAsync(tail);
        Assert.Equal(payload[^10..], tail);
        Assert.Equal(["big/one.tif"], Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f)));
        await Assert.ThrowsAsync<StorageObjectNotFoundException>(() => store.OpenReadAsync("big/absent.tif"));
    }

    [Fact]
    public async Task A_stream_that_fails_half_way_leaves_the_old_object_and_no_temporary_file()
    {
        var store = new LocalObjectStore(_root);
        await store.WriteAsync("x.png", new byte[] { 7 });

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("x.png", new FailingStream(100_000)));

        Assert.Equal(new byte[] { 7 }, await store.ReadAsync("x.png"));
        Assert.Equal(["x.png"], Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f)));
    }

    [Fact]
    public async Task Create_makes_an_object_only_once_even_when_callers_race()
    {
        var store = new LocalObjectStore(_root);

        // Many rounds of 32 creators on the thread pool at once: a check-then-rename lets several through now and then.
        for (var round = 0; round < 20; round++)
        {
            var name = $"claims/owner-{round}";
            var created = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => store.CreateAsync(name, new[] { (byte)i }))));

            var winner = Assert.Single(created.Select((won, i) => (won, i)), c => c.won).i;
            Assert.Equal(new[] { (byte)winner }, await store.ReadAsync(name));
            Assert.False(await store.CreateAsync(name, new byte[] { 99 }));
        }

        Assert.Equal(20, Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Names_too_long_for_a_blob_or_a_file_system_are_refused_and_unicode_names_round_trip()
    {
        var store = new LocalObjectStore(_root);
        var tooLong = string.Join('/', Enumerable.Repeat(new string('a', 200), 6));
        var longSegment = "cells/" + new string('é', 130) + ".png";

        Assert.Contains("over the 1024 a blob name may have", (await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(tooLong, new byte[] { 1 }))).Message, StringComparison.Ordinal);
        Assert.Contains("264 bytes, over the 255", (await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(longSegment, new byte[] { 1 }))).Message, StringComparison.Ordinal);

        // Names that are merely unusual keep their exact characters, in every script.
        foreach (var name in new[] { "zellkern-ü/核-1.png", "naïve café.tif", "emoji-🔬.png", "e\u0301-decomposed.png" })
        {
            await store.WriteAsync(name, new byte[] { 7 });
            Assert.Equal(new byte[] { 7 }, await store.ReadAsync(name));
        }

        Assert.Equal(4, (await ToListAsync(store.ListAsync(""))).Count);
    }

    [Fact]
    public async Task Reading_a_missing_object_names_it_and_the_folder()
    {
        var store = new LocalObjectStore(_root);

        var error = await Assert.ThrowsAsync<StorageObjectNotFoundException>(() => store.ReadAsync("missing/cell.png"));

        Assert.Equal("missing/cell.png", error.ObjectName);
        Assert.Contains("'missing/cell.png'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_root, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside.png", "'..' segment")]
    [InlineData("a/../../outside.png", "'..' segment")]
    [InlineData("a/./b.png", "'.' segment")]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData("C:/x.png", "drive letter")]
    [InlineData("..\\outside.png", "backslash")]
    [InlineData("a\\b.png", "backslash")]
    [InlineData("a//b.png", "empty folder segment")]
    [InlineData("a/", "empty folder segment")]
    [InlineData("", "empty")]
    [InlineData("line\nbreak.png", "control character U+000A")]
    [InlineData("esc\u001b[31m.png", "control character U+001B")]
    [InlineData("del\u007f.png", "control character U+007F")]
    public async Task Names_that_could_escape_the_root_are_refused_by_every_operation(string name, string reason)
    {
        var store = new LocalObjectStore(Path.Combine(_root, "inner"));

        foreach (var operation in new Func<Task>[]
        {
            () => store.WriteAsync(name, new byte[] { 1 }),
            () => store.ReadAsync(name),
            () => store.ExistsAsync(name),
            () => store.DeleteAsync(name),
            () => store.OpenReadAsync(name),
            () => store.WriteAsync(name, new MemoryStream([1])),
        })
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(operation);
            Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
            Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    internal static async Task<List<StoredObject>> ToListAsync(IAsyncEnumerable<StoredObject> objects)
    {
        var list = new List<StoredObject>();
        await foreach (var item in objects)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>A source that gives some bytes, then fails as a dropped connection would.</summary>
    internal sealed class FailingStream(int bytesBeforeFailing) : Stream
    {
        private int _given;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _given;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_given >= bytesBeforeFailing)
            {
                throw new IOException("the source went away");
            }

            var n = Math.Min(count, bytesBeforeFailing - _given);
            Array.Fill(buffer, (byte)1, offset, n);
            _given += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
