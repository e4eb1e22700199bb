using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Robinhood.Client.Picking;

/// <summary>Per-request weighted round-robin: lock-free, allocation-free and O(1) per pick.</summary>
/// <remarks>
/// Picks walk a precomputed cycle (<see cref="SlotSequence"/>) in which every item appears exactly in
/// proportion to its weight, spread evenly. Concurrent callers do not share one cursor: each processor
/// gets its own cache-line-padded cursor (a stripe), so two cores never fight over one line. Every
/// stripe starts at a random point of the cycle, so a fresh picker does not send its first requests
/// to the heaviest item and many clients built from the same weights do not move in lock-step.
/// </remarks>
public sealed class WeightedRoundRobin<T>
{
    private readonly T[] _items;
    private readonly int[] _sequence;
    private readonly PaddedCursor[] _stripes;
    private readonly int _stripeMask;

    /// <summary>Builds a picker; items with weight 0 are never picked.</summary>
    /// <param name="items">The items to pick from.</param>
    /// <param name="weights">One weight per item; at least one must be positive.</param>
    /// <param name="random">Chooses each stripe's starting point in the cycle.</param>
    /// <param name="stripes">Independent cursors (rounded up to a power of two); default one per processor.</param>
    public WeightedRoundRobin(IReadOnlyList<T> items, ReadOnlySpan<uint> weights, Random random, int stripes = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(random);
        if (items.Count != weights.Length)
        {
            throw new ArgumentException($"{items.Count} items but {weights.Length} weights.", nameof(weights));
        }

        _sequence = SlotSequence.Build(weights);
        if (_sequence.Length == 0)
        {
            throw new ArgumentException("At least one weight must be positive.", nameof(weights));
        }

        _items = [.. items];
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)(stripes > 0 ? stripes : Environment.ProcessorCount));
        _stripes = new PaddedCursor[count];
        _stripeMask = count - 1;
        for (var i = 0; i < count; i++)
        {
            _stripes[i].Position = random.Next(_sequence.Length);
        }
    }

    /// <summary>Slots in one cycle: over any <see cref="CycleLength"/> consecutive picks of one stripe the counts are exact.</summary>
    public int CycleLength => _sequence.Length;

    /// <summary>The items, in the order given.</summary>
    public IReadOnlyList<T> Items => _items;

    /// <summary>Picks the next item.</summary>
    public T Pick() => _items[PickIndex()];

    /// <summary>Picks the index of the next item.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PickIndex()
    {
        ref var position = ref _stripes[Thread.GetCurrentProcessorId() & _stripeMask].Position;
        int current;
        int next;
        do
        {
            current = Volatile.Read(ref position);
            next = current + 1 == _sequence.Length ? 0 : current + 1;
        }
        while (Interlocked.CompareExchange(ref position, next, current) != current);

        return _sequence[current];
    }
}

/// <summary>One cursor alone on its cache line (and the adjacent-line prefetch pair).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedCursor
{
    [FieldOffset(64)]
    public int Position;
}
