namespace Robinhood.Client.Picking;

/// <summary>Builds the cyclic order in which a <see cref="WeightedRoundRobin{T}"/> visits its items.</summary>
/// <remarks>
/// Item i gets c_i slots in a cycle of L = Σc_i, where c_i is its weight divided by the weights'
/// greatest common divisor (exact), or, when that cycle would exceed <see cref="MaxSlots"/>, its
/// largest-remainder share of <see cref="MaxSlots"/> (off by less than one slot). The slots are then
/// ordered by ideal position (k + φ_i) / c_i, the earliest-deadline order of stride scheduling, so every
/// item is spread evenly over the cycle rather than sent in bursts. The phase φ_i = (i + ½) / n staggers
/// items with equal counts: with one phase for all, light items would bunch up at the same point.
/// </remarks>
internal static class SlotSequence
{
    /// <summary>Longest cycle; beyond it weights are apportioned with 1/65536 resolution.</summary>
    public const int MaxSlots = 1 << 16;

    public static int[] Build(ReadOnlySpan<uint> weights)
    {
        var counts = Apportion(weights);
        var total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        var slots = new Slot[total];
        var next = 0;
        long n = counts.Length;
        for (var item = 0; item < counts.Length; item++)
        {
            for (var k = 0; k < counts[item]; k++)
            {
                // (k + (2i + 1) / 2n) / c_i as an exact fraction.
                slots[next++] = new Slot((2 * n * k) + (2 * item) + 1, 2 * n * counts[item], item);
            }
        }

        Array.Sort(slots);
        var sequence = new int[total];
        for (var i = 0; i < total; i++)
        {
            sequence[i] = slots[i].Item;
        }

        return sequence;
    }

    /// <summary>Slots per item: exact ratios when the reduced weights fit, else largest remainder.</summary>
    internal static int[] Apportion(ReadOnlySpan<uint> weights)
    {
        ulong sum = 0;
        ulong divisor = 0;
        foreach (var weight in weights)
        {
            sum += weight;
            divisor = Gcd(divisor, weight);
        }

        var counts = new int[weights.Length];
        if (sum == 0)
        {
            return counts;
        }

        var budget = Math.Max(MaxSlots, CountPositive(weights));
        if (sum / divisor <= (ulong)budget)
        {
            for (var i = 0; i < weights.Length; i++)
            {
                counts[i] = (int)(weights[i] / divisor);
            }

            return counts;
        }

        var remainders = new double[weights.Length];
        var assigned = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0)
            {
                remainders[i] = double.NegativeInfinity;
                continue;
            }

            var quota = (double)weights[i] * budget / sum;
            // Every item with a positive weight keeps at least one slot: it must never starve.
            counts[i] = Math.Max(1, (int)quota);
            remainders[i] = quota - counts[i];
            assigned += counts[i];
        }

        // Hand the slots still free to the largest remainders (Hamilton's method).
        var byRemainder = new int[weights.Length];
        for (var i = 0; i < byRemainder.Length; i++)
        {
            byRemainder[i] = i;
        }

        Array.Sort(remainders, byRemainder);
        for (int left = budget - assigned, i = byRemainder.Length - 1; left > 0 && i >= 0 && weights[byRemainder[i]] > 0; left--, i--)
        {
            counts[byRemainder[i]]++;
        }

        return counts;
    }

    private static int CountPositive(ReadOnlySpan<uint> weights)
    {
        var positive = 0;
        foreach (var weight in weights)
        {
            positive += weight > 0 ? 1 : 0;
        }

        return positive;
    }

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    /// <summary>The k-th slot of an item, at ideal position numerator/denominator of the cycle.</summary>
    private readonly record struct Slot(long Numerator, long Denominator, int Item) : IComparable<Slot>
    {
        public int CompareTo(Slot other)
        {
            // Exact rational comparison (products can pass 2^63 for large services); ties go to the lower item.
            var order = ((Int128)Numerator * other.Denominator).CompareTo((Int128)other.Numerator * Denominator);
            return order != 0 ? order : Item.CompareTo(other.Item);
        }
    }
}
