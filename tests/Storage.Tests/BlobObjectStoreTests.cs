using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Storage.Tests;

[Trait(TestTier.Category, TestTier.External)]
[Collection(AzuriteTests.Name)]
public sealed class BlobObjectStoreTests(AzuriteFixture azurite)
{
    private readonly string _containerName = AzuriteTests.NewContainerName();

    [Fact]
    public async Task Listing_pages_through_more_objects_than_one_page_in_name_order()
    {
        var requests = new ListRequestCounter();
        var options = ObjectStoreFactory.CreateClientOptions(new StorageOptions());
        options.AddPolicy(requests, HttpPipelinePosition.PerCall);
        var container = new BlobContainerClient(azurite.ConnectionString, _containerName, options);
        var store = new BlobObjectStore(container, "run/in", pageSizeHint: 10);
        var names = Enumerable.Range(0, 25).Select(i => $"img-{i:D2}.png").ToArray();
        foreach (var name in names.Reverse())
        {
            await store.WriteAsync(name, Encoding.UTF8.GetBytes(name + "!"));
        }

        // A neighbour whose name starts like the prefix must not be listed: the prefix is a folder.
        await new BlobObjectStore(container, "run/in2").WriteAsync("other.png", new byte[] { 1 });

        var listed = await LocalObjectStoreTests.ToListAsync(store.ListAsync(""));

        Assert.Equal(names, listed.Select(o => o.Name));
        Assert.All(listed, o => Assert.Equal(o.Name.Length + 1, o.Length));
        Assert.Equal(3, requests.Count);
    }

    [Fact]
    public async Task Names_with_folders_and_unicode_round_trip_and_list_relative_to_the_prefix()
    {
        var store = new BlobObjectStore(Container(), "données");
        string[] names = ["a/b/été ü.png", "space name.tif", "日本/画像.jpg"];
        foreach (var name in names)
        {
            await store.WriteAsync(name, Encoding.UTF8.GetBytes(name));
        }

        foreach (var name in names)
        {
            Assert.Equal(name, Encoding.UTF8.GetString(await store.ReadAsync(name)));
        }

        Assert.Equal(names.Order(StringComparer.Ordinal), (await LocalObjectStoreTests.ToListAsync(store.ListAsync(""))).Select(o => o.Name));
        Assert.Equal(["a/b/été ü.png"], (await LocalObjectStoreTests.ToListAsync(store.ListAsync("a/"))).Select(o => o.Name));
        Assert.True(await Container().GetBlobClient("données/日本/画像.jpg").ExistsAsync());
    }

    [Fact]
    public async Task The_first_write_creates_the_container_and_a_second_write_replaces_the_object()
    {
        var store = new BlobObjectStore(Container(), "masks");
        Assert.Empty(await LocalObjectStoreTests.ToListAsync(store.ListAsync("")));

        await store.WriteAsync("a.png", new byte[] { 1, 2, 3 });
        await store.WriteAsync("a.png", new byte[] { 4 });

        Assert.Equal(new byte[] { 4 }, await store.ReadAsync("a.png"));
    }

    [Fact]
    public async Task A_large_write_is_staged_in_blocks_and_committed_whole()
    {
        var transfer = new StorageTransferOptions { InitialTransferSize = 1024, MaximumTransferSize = 512, MaximumConcurrency = 2 };
        var container = Container();
        var store = new BlobObjectStore(container, "", transfer: transfer);
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();

        await store.WriteAsync("big.tif", payload);

        Assert.Equal(payload, await store.ReadAsync("big.tif"));
        var blocks = await container.GetBlockBlobClient("big.tif").GetBlockListAsync(BlockListTypes.All);
        Assert.Equal(6, blocks.Value.CommittedBlocks.Count());
        Assert.Empty(blocks.Value.UncommittedBlocks);
    }

    [Fact]
    public async Task A_stream_is_uploaded_in_blocks_committed_whole_and_read_back_as_a_seekable_stream()
    {
        var transfer = new StorageTransferOptions { InitialTransferSize = 1024, MaximumTransferSize = 512, MaximumConcurrency = 2 };
        var container = Container();
        var store = new BlobObjectStore(container, "big", transfer: transfer);
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 11)).ToArray();

        // The first write also creates the container, which starts the stream over.
        await store.WriteAsync("one.tif", new MemoryStream(payload));

        var blocks = await container.GetBlockBlobClient("big/one.tif").GetBlockListAsync(BlockListTypes.All);
        Assert.Equal(6, blocks.Value.CommittedBlocks.Count());
        await using var read = await store.OpenReadAsync("one.tif");
        Assert.True(read.CanSeek);
        Assert.Equal(payload.Length, read.Length);
        read.Position = 2990;
        var tail = new byte[10];
        await read.ReadExactlyAsync(tail);
        Assert.Equal(payload[^10..], tail);
        read.Position = 0;
        var all = new byte[payload.Length];
        await read.ReadExactlyAsync(all);
        Assert.Equal(payload, all);
        await Assert.ThrowsAsync<StorageObjectNotFoundException>(() => store.OpenReadAsync("absent.tif"));
    }

    [Fact]
    public async Task A_stream_that_fails_half_way_leaves_the_old_blob()
    {
        var transfer = new StorageTransferOptions { InitialTransferSize = 1024, MaximumTransferSize = 512, MaximumConcurrency = 1 };
        var store = new BlobObjectStore(Container(), "", transfer: transfer);
        await store.WriteAsync("x.png", new byte[] { 7 });

        await Assert.ThrowsAnyAsync<IOException>(() => store.WriteAsync("x.png", new LocalObjectStoreTests.FailingStream(5000)));

        Assert.Equal(new byte[] { 7 }, await store.ReadAsync("x.png"));
    }

    [Fact]
    public async Task Create_makes_a_blob_only_once_even_when_callers_race()
    {
        var store = new BlobObjectStore(Container(), "out");
        await store.WriteAsync("other", new byte[] { 1 });

        var created = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.CreateAsync("owner", new[] { (byte)i })));

        var winner = Assert.Single(created.Select((won, i) => (won, i)), c => c.won).i;
        Assert.Equal(new[] { (byte)winner }, await store.ReadAsync("owner"));
        Assert.False(await store.CreateAsync("owner", new byte[] { 99 }));
        // Without a container yet, the create makes it, as a write does.
        var fresh = new BlobContainerClient(azurite.ConnectionString, AzuriteTests.NewContainerName(), ObjectStoreFactory.CreateClientOptions(new StorageOptions()));
        Assert.True(await new BlobObjectStore(fresh, "out").CreateAsync("owner", new byte[] { 5 }));
    }

    [Fact]
    public async Task Exists_and_delete_are_idempotent_even_without_a_container()
    {
        var store = new BlobObjectStore(Container(), "p");
        await store.DeleteAsync("never.png");
        Assert.False(await store.ExistsAsync("never.png"));

        await store.WriteAsync("x.png", new byte[] { 1 });
        Assert.True(await store.ExistsAsync("x.png"));
        await store.DeleteAsync("x.png");
        await store.DeleteAsync("x.png");
        Assert.False(await store.ExistsAsync("x.png"));
    }

    [Fact]
    public async Task Reading_a_missing_object_names_it_and_the_container()
    {
        var store = new BlobObjectStore(Container(), "in");
        await store.WriteAsync("present.png", new byte[] { 1 });

        var error = await Assert.ThrowsAsync<StorageObjectNotFoundException>(() => store.ReadAsync("cells/absent.png"));

        Assert.Equal("cells/absent.png", error.ObjectName);
        Assert.Contains("'cells/absent.png'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"/{_containerName}/in/", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_that_a_url_would_rewrite_are_refused()
    {
        var store = new BlobObjectStore(Container(), "in");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync("../other/x.png", new byte[] { 1 }));

        Assert.Contains("'../other/x.png'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_and_list_sas_can_list_and_read_but_a_write_fails_naming_the_object()
    {
        var container = Container();
        var writer = new BlobObjectStore(container, "in");
        await writer.WriteAsync("a.png", new byte[] { 7 });
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1));
        var location = StorageLocation.Parse($"{sas.GetLeftPart(UriPartial.Path)}/in{sas.Query}");
        var store = new ObjectStoreFactory(new StorageOptions()).Open(location);

        Assert.Equal(["a.png"], (await LocalObjectStoreTests.ToListAsync(store.ListAsync(""))).Select(o => o.Name));
        Assert.Equal(new byte[] { 7 }, await store.ReadAsync("a.png"));
        var error = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => store.WriteAsync("mask.png", new byte[] { 1 }));

        Assert.Contains("'mask.png'", error.Message, StringComparison.Ordinal);
        Assert.Contains("SAS", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", store.ToString(), StringComparison.Ordinal);
        Assert.False(await writer.ExistsAsync("mask.png"));
    }

    private BlobContainerClient Container() =>
        new(azurite.ConnectionString, _containerName, ObjectStoreFactory.CreateClientOptions(new StorageOptions()));

    /// <summary>Counts List Blobs requests, to see that a listing really took several pages.</summary>
    private sealed class ListRequestCounter : HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Uri.Query.Contains("comp=list", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }
        }
    }
}
