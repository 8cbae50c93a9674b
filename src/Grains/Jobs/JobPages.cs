namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>A job's pages as its coordinator calls them: one grain each, asked a few at a time when all of them are.</summary>
/// <param name="page">The page grain of that index.</param>
internal sealed class JobPages(Func<int, IJobPageGrain> page)
{
    /// <summary>How many pages are asked at once when planning, recovering or reporting.</summary>
    private const int AtOnce = 16;

    public IJobPageGrain this[int index] => page(index);

    /// <summary>Calls pages 0 to <paramref name="count"/> − 1 with their index, <see cref="AtOnce"/> at a time, and gives their answers in page order.</summary>
    public async Task<List<T>> ForEachAsync<T>(int count, Func<int, IJobPageGrain, Task<T>> call)
    {
        var answers = new List<T>(count);
        for (var first = 0; first < count; first += AtOnce)
        {
            answers.AddRange(await Task.WhenAll(Enumerable.Range(first, Math.Min(AtOnce, count - first)).Select(index => call(index, page(index)))));
        }

        return answers;
    }
}
