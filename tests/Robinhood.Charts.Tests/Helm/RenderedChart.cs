using k8s;
using k8s.Models;

namespace Robinhood.Charts.Tests.Helm;

/// <summary>
/// The objects `helm template` rendered, parsed strictly into KubernetesClient's model types:
/// a field the API does not know (a typo in a template) fails the parse.
/// </summary>
public sealed class RenderedChart
{
    private static readonly Dictionary<string, Type> ExtraTypes = new(StringComparer.Ordinal)
    {
        [ServiceMonitor.TypeKey] = typeof(ServiceMonitor),
    };

    private RenderedChart(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects) => Objects = objects;

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects { get; }

    public static RenderedChart Parse(string manifests)
    {
        var objects = KubernetesYaml.LoadAllFromString(manifests, ExtraTypes, strict: true)
            .Select(o => o as IKubernetesObject<V1ObjectMeta>
                ?? throw new InvalidOperationException($"Rendered object {o.GetType().Name} has no metadata"))
            .ToList();
        return new RenderedChart(objects);
    }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    /// <summary>The one object of a type whose name ends with the suffix, e.g. Named&lt;V1Deployment&gt;("-controller").</summary>
    public T Named<T>(string nameSuffix)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var matches = All<T>().Where(o => o.Metadata.Name.EndsWith(nameSuffix, StringComparison.Ordinal)).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidOperationException(
                $"Expected one {typeof(T).Name} named *{nameSuffix}, found {matches.Count}: {string.Join(", ", All<T>().Select(o => o.Metadata.Name))}");
    }

    public IReadOnlySet<string> Kinds => Objects.Select(o => o.Kind).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every workload's pod template, with the workload's kind and name.</summary>
    public IEnumerable<(string Workload, V1PodSpec Pod)> PodSpecs =>
        All<V1Deployment>().Select(d => ($"Deployment/{d.Metadata.Name}", d.Spec.Template.Spec))
            .Concat(All<V1DaemonSet>().Select(d => ($"DaemonSet/{d.Metadata.Name}", d.Spec.Template.Spec)))
            .Concat(All<V1StatefulSet>().Select(d => ($"StatefulSet/{d.Metadata.Name}", d.Spec.Template.Spec)));
}
