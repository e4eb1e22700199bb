using Robinhood.Controller.Control;

namespace Robinhood.Controller.Tests.Control;

public class TickWorkersTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void Run_ManyRounds_EveryIndexOnceARound()
    {
        using var workers = new TickWorkers(3);
        for (var round = 0; round < 200; round++)
        {
            var count = round % 7 == 0 ? round : 100 + round;
            var runs = new int[count];
            workers.Run(count, i => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void Run_ItemsThatWaitForEachOther_RunOnTheCallerAndItsOwnThreadsAtOnce()
    {
        using var workers = new TickWorkers(3);
        using var together = new Barrier(3);
        var met = new bool[3];
        var threads = new string?[3];
        var caller = Environment.CurrentManagedThreadId;
        workers.Run(3, i =>
        {
            threads[i] = Environment.CurrentManagedThreadId == caller ? "caller" : Thread.CurrentThread.Name;
            met[i] = together.SignalAndWait(Deadline);
        });

        // One thread doing the three items in turn would wait alone at the barrier and give up.
        Assert.All(met, Assert.True);
        Assert.Equal(["caller", "robinhood-tick-1", "robinhood-tick-2"], threads.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Run_ParallelismOne_EverythingOnTheCaller()
    {
        using var workers = new TickWorkers(1);
        var caller = Environment.CurrentManagedThreadId;
        var others = 0;
        workers.Run(50, _ => others += Environment.CurrentManagedThreadId == caller ? 0 : 1);
        Assert.Equal(0, others);
        Assert.Equal(1, workers.Parallelism);
    }

    [Fact]
    public void Run_AnItemThrows_RethrownToTheCallerAndTheNextRoundRunsWhole()
    {
        using var workers = new TickWorkers(2);
        var error = Assert.Throws<InvalidOperationException>(() => workers.Run(1000, i =>
        {
            if (i == 10)
            {
                throw new InvalidOperationException("item 10");
            }
        }));
        Assert.Equal("item 10", error.Message);

        var done = 0;
        workers.Run(1000, _ => Interlocked.Increment(ref done));
        Assert.Equal(1000, done);
    }

    [Fact]
    public void Run_AfterDispose_RefusedAndTheThreadsEnd()
    {
        var workers = new TickWorkers(3);
        var threads = new Thread?[3];
        using (var together = new Barrier(3))
        {
            workers.Run(3, i =>
            {
                threads[i] = Thread.CurrentThread;
                together.SignalAndWait(Deadline);
            });
        }

        workers.Dispose();
        Assert.Throws<ObjectDisposedException>(() => workers.Run(1, _ => { }));
        var own = threads.Where(t => t!.Name?.StartsWith("robinhood-tick-", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, own.Count);
        Assert.All(own, t => Assert.True(t!.Join(Deadline)));
    }

    [Fact]
    public void New_NoThreads_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TickWorkers(0));
    }
}
