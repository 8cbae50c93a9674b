using NetTopologySuite.Geometries;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// An object's outline: the union of its pixel squares as a polygon in image pixel coordinates (corners at
/// whole numbers, y down), what QuPath and GIS tools draw and measure. Holes become interior rings; pieces
/// that touch only at a corner, or not at all, become the polygons of a multipolygon. The outline follows the
/// pixel edges exactly, so its area is the pixel count.
/// </summary>
/// <remarks>
/// Exterior rings run counter-clockwise and holes clockwise in the coordinates' own arithmetic, as RFC 7946
/// §3.1.6 asks; with y pointing down, as in an image, that shows clockwise on screen. QuPath ignores
/// orientation but rejects invalid polygons, so every result is valid.
/// </remarks>
public static class ObjectOutline
{
    private static readonly GeometryFactory Factory = new();

    /// <summary>The outline of <paramref name="imageObject"/>: a <see cref="Polygon"/>, or a <see cref="MultiPolygon"/> for several pieces.</summary>
    public static Geometry Trace(ImageObject imageObject)
    {
        var box = imageObject.Box;
        if (imageObject.Pixels.Length != box.Area)
        {
            throw new ArgumentException(
                $"Object {imageObject.Id}'s mask has {imageObject.Pixels.Length} pixels, but its {box.Width}×{box.Height} box holds {box.Area}.",
                nameof(imageObject));
        }
        // No .NET library turns a raster into polygons, so the pixel edges are traced here.
        var edges = new PixelEdges(box.Width, box.Height, imageObject.Pixels);
        var shells = new List<LinearRing>();
        var holes = new List<LinearRing>();
        foreach (var loop in edges.Loops())
        {
            var ring = Factory.CreateLinearRing([.. Corners(loop, box.Width + 1, box.X, box.Y)]);
            (ring.IsCCW ? shells : holes).Add(ring);
        }
        if (shells.Count == 0)
        {
            throw new ArgumentException($"Object {imageObject.Id} has no pixels in its box, so it has no outline.", nameof(imageObject));
        }

        // A hole belongs to the smallest piece around it: a piece may lie in another's hole and have holes itself.
        var pieces = shells.Select(shell => Factory.CreatePolygon(shell)).ToArray();
        var holesOf = pieces.Select(_ => new List<LinearRing>()).ToArray();
        foreach (var hole in holes)
        {
            var owner = Enumerable.Range(0, pieces.Length)
                .Where(p => pieces[p].Covers(hole))
                .MinBy(p => pieces[p].Area);
            holesOf[owner].Add(hole);
        }
        var polygons = shells.Select((shell, p) => Factory.CreatePolygon(shell, [.. holesOf[p]])).ToArray();
        return polygons.Length == 1 ? polygons[0] : Factory.CreateMultiPolygon(polygons);
    }

    /// <summary>A loop's corners in image coordinates, closed, without the corners where the edge runs straight on.</summary>
    private static IEnumerable<Coordinate> Corners(List<int> loop, int stride, int offsetX, int offsetY)
    {
        Coordinate? first = null;
        for (var i = 0; i < loop.Count; i++)
        {
            var previous = loop[(i + loop.Count - 1) % loop.Count];
            var next = loop[(i + 1) % loop.Count];
            var vertex = loop[i];
            var straight = (previous % stride == vertex % stride && vertex % stride == next % stride)
                || (previous / stride == vertex / stride && vertex / stride == next / stride);
            if (!straight)
            {
                var corner = new Coordinate(offsetX + vertex % stride, offsetY + vertex / stride);
                first ??= corner;
                yield return corner;
            }
        }
        yield return first!.Copy();
    }

    /// <summary>
    /// The edges between an object's pixels and the rest of its box, each directed so the object lies on its
    /// left in the coordinates' arithmetic (y up), linked into closed loops of vertices. A vertex is
    /// y × (width + 1) + x.
    /// </summary>
    private sealed class PixelEdges
    {
        // Directions in the order a single pixel's boundary turns through them: +x, +y, −x, −y.
        private static readonly (int X, int Y)[] Steps = [(1, 0), (0, 1), (-1, 0), (0, -1)];

        private readonly int _stride;
        private readonly List<(int From, int To, int Direction)> _edges = [];
        private readonly int[] _outFirst;
        private readonly int[] _outSecond;

        public PixelEdges(int width, int height, bool[] pixels)
        {
            _stride = width + 1;
            _outFirst = new int[_stride * (height + 1)];
            _outSecond = new int[_outFirst.Length];
            Array.Fill(_outFirst, -1);
            Array.Fill(_outSecond, -1);
            bool Inside(int x, int y) => x >= 0 && y >= 0 && x < width && y < height && pixels[y * width + x];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    if (!pixels[y * width + x])
                    {
                        continue;
                    }
                    // Each side whose neighbour is not the object's, going round the pixel from its corner (x, y).
                    if (!Inside(x, y - 1))
                    {
                        Add(x, y, 0);
                    }
                    if (!Inside(x + 1, y))
                    {
                        Add(x + 1, y, 1);
                    }
                    if (!Inside(x, y + 1))
                    {
                        Add(x + 1, y + 1, 2);
                    }
                    if (!Inside(x - 1, y))
                    {
                        Add(x, y + 1, 3);
                    }
                }
            }
        }

        private void Add(int x, int y, int direction)
        {
            var from = y * _stride + x;
            var to = (y + Steps[direction].Y) * _stride + x + Steps[direction].X;
            var edge = _edges.Count;
            _edges.Add((from, to, direction));
            if (_outFirst[from] < 0)
            {
                _outFirst[from] = edge;
            }
            else
            {
                _outSecond[from] = edge;
            }
        }

        /// <summary>
        /// The boundary as simple closed loops (no vertex twice), in the order their first edges were found.
        /// </summary>
        public IEnumerable<List<int>> Loops()
        {
            var used = new bool[_edges.Count];
            for (var start = 0; start < _edges.Count; start++)
            {
                if (used[start])
                {
                    continue;
                }
                var path = new List<int>();
                var edge = start;
                while (!used[edge])
                {
                    used[edge] = true;
                    path.Add(_edges[edge].From);
                    edge = Next(_edges[edge]);
                }
                foreach (var loop in SplitAtRepeats(path))
                {
                    yield return loop;
                }
            }
        }

        /// <summary>
        /// The edge that leaves where <paramref name="edge"/> ends. Where two leave (pixels touching only at
        /// that corner), the one that keeps round the same pixel, so the trace never crosses itself.
        /// </summary>
        private int Next((int From, int To, int Direction) edge)
        {
            var first = _outFirst[edge.To];
            var second = _outSecond[edge.To];
            return second < 0 || _edges[first].Direction == (edge.Direction + 1) % 4 ? first : second;
        }

        /// <summary>
        /// A traced loop that meets itself at a corner cut there into loops that do not, since a polygon's ring
        /// may not touch itself: a piece with a hole touching its outside at one corner becomes shell and hole.
        /// </summary>
        private static List<List<int>> SplitAtRepeats(List<int> path)
        {
            var loops = new List<List<int>>();
            var open = new List<int>();
            var positions = new Dictionary<int, int>();
            foreach (var vertex in path)
            {
                if (positions.TryGetValue(vertex, out var at))
                {
                    loops.Add(open[at..]);
                    foreach (var dropped in open[(at + 1)..])
                    {
                        positions.Remove(dropped);
                    }
                    open.RemoveRange(at + 1, open.Count - at - 1);
                }
                else
                {
                    positions[vertex] = open.Count;
                    open.Add(vertex);
                }
            }
            loops.Add(open);
            return loops;
        }
    }
}
