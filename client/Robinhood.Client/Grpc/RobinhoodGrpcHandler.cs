using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Robinhood.Client.Grpc;

/// <summary>
/// The HTTP handler for a <c>robinhood:///</c> channel (<c>GrpcChannelOptions.HttpHandler</c>). It sees each attempt
/// on the endpoint the balancer picked, so a gRPC UNAVAILABLE from a live server (in the response headers or in the
/// trailers) counts toward ejection like a transport failure, and it bounds each attempt by
/// <c>Robinhood:Retry:PerTryTimeout</c> until its response headers: a timed-out attempt fails UNAVAILABLE, which a
/// retry policy repeats on another endpoint.
/// </summary>
public sealed class RobinhoodGrpcHandler : DelegatingHandler
{
    private const int Unavailable = 14;

    /// <summary>Over a <see cref="SocketsHttpHandler"/> with several HTTP/2 connections per endpoint allowed.</summary>
    public RobinhoodGrpcHandler()
        : base(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
    {
    }

    /// <summary>Over the given handler (a <see cref="SocketsHttpHandler"/> or a chain ending in one, for balancing).</summary>
    public RobinhoodGrpcHandler(HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Options.TryGetValue(GrpcAttempt.Key, out var attempt))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // Before the first await: the balancer's tracker, which completes after this returns, then leaves it here.
        attempt.Observed = true;
        using var perTry = attempt.Service.StartTry(cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, perTry?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && perTry?.Expired == true)
        {
            attempt.Failed();
            // An IOException inside makes Grpc.Net.Client report UNAVAILABLE, which a retry policy may repeat.
            var message = $"{attempt.Endpoint} of service '{attempt.Service.Service}' sent no response headers within Robinhood:Retry:PerTryTimeout ({perTry.Timeout}).";
            throw new HttpRequestException(message, new IOException(message, e));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            attempt.Failed();
            throw;
        }

        if (StatusOf(response.Headers) is { } status)
        {
            // Trailers-only: the status came with the headers (what a server that fails a call at once sends).
            Report(attempt, status);
        }
        else if (response.StatusCode != HttpStatusCode.OK)
        {
            Report(attempt, (int)response.StatusCode >= 500 ? Unavailable : 0);
        }
        else
        {
            response.Content = new StatusInTrailers(response, attempt);
        }

        return response;
    }

    private static void Report(GrpcAttempt attempt, int? status)
    {
        if (status is null or Unavailable)
        {
            attempt.Failed();
        }
        else
        {
            // Any other status is the application's answer: the endpoint is up.
            attempt.Succeeded();
        }
    }

    private static int? StatusOf(HttpHeaders headers) =>
        headers.TryGetValues("grpc-status", out var values)
        && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            ? status
            : null;

    /// <summary>The response body as it is, reporting the status in the trailers once the body has been read to its end.</summary>
    private sealed class StatusInTrailers : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly HttpResponseMessage _response;
        private readonly GrpcAttempt _attempt;

        public StatusInTrailers(HttpResponseMessage response, GrpcAttempt attempt)
        {
            _inner = response.Content;
            _response = response;
            _attempt = attempt;
            foreach (var header in _inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new EndOfBody(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), this);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private void Ended() => Report(_attempt, StatusOf(_response.TrailingHeaders));

        private void Broke() => _attempt.Failed();

        /// <summary>A read-only view of the body that reports when it ends or breaks.</summary>
        private sealed class EndOfBody(Stream inner, StatusInTrailers content) : Stream
        {
            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => throw new NotSupportedException();
                set => throw new NotSupportedException();
            }

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                int read;
                try
                {
                    read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    content.Broke();
                    throw;
                }

                if (read == 0 && buffer.Length > 0)
                {
                    content.Ended();
                }

                return read;
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
