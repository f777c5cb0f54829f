//! Server-sent events relayed as upstream sends them, event by event, never buffering the
//! whole answer. Usage is read from the final usage chunk, which is stripped again when the
//! client did not ask for it. The request is logged when the stream ends — or when the client
//! goes away, which drops this stream and with it the upstream request.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::exchange::Exchange;
use super::usage::Usage;
use crate::budgets::gate::Reservation;
use crate::providers::BodyStream;
use crate::recording::Recorder;

/// How the stream ended, for the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Still running: if dropped now, the client disconnected.
    Open,
    Completed,
    UpstreamFailed,
    /// Cut by the gateway at shutdown, after the grace period.
    Shutdown,
}

/// Settles the budget and logs the exchange exactly once, however the stream ends.
struct Finish {
    ex: Exchange,
    reservation: Option<Reservation>,
    recorder: Recorder,
    end: End,
}

impl Drop for Finish {
    fn drop(&mut self) {
        let (status, code) = match self.end {
            End::Completed => (200, None),
            End::UpstreamFailed => (502, Some("upstream_stream_error")),
            End::Open => (499, Some("client_disconnected")),
            End::Shutdown => (503, Some("gateway_shutdown")),
        };
        if let Some(reservation) = self.reservation.take() {
            // Bytes were relayed, so the upstream billed something: without a usage chunk,
            // charge the reservation (an upper bound) rather than nothing.
            if self.ex.usage.is_none() {
                self.ex.charged = Some(reservation.amount());
            }
            let cost = self.ex.cost().unwrap_or(0);
            reservation.settle_detached(cost);
        }
        self.recorder.record(self.ex.finish(status, code));
    }
}

/// The relayed body.
pub struct Relay {
    aborted: Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    pending: Option<Bytes>,
    upstream: BodyStream,
    buf: BytesMut,
    strip_usage: bool,
    // Dropped after `finish`, so the stream counts as open until it is logged.
    finish: Finish,
    _ticket: super::streams::Ticket,
    done: bool,
}

impl Relay {
    pub fn new(
        first: Bytes,
        upstream: BodyStream,
        strip_usage: bool,
        ex: Exchange,
        reservation: Reservation,
        recorder: Recorder,
        streams: &std::sync::Arc<super::streams::Streams>,
    ) -> Relay {
        let (ticket, aborted) = streams.open();
        Relay {
            aborted,
            _ticket: ticket,
            pending: Some(first),
            upstream,
            buf: BytesMut::new(),
            strip_usage,
            finish: Finish {
                ex,
                reservation: Some(reservation),
                recorder,
                end: End::Open,
            },
            done: false,
        }
    }

    /// Moves every complete event out of the buffer, minus a stripped usage chunk.
    fn drain(&mut self, at_end: bool) -> Option<Bytes> {
        let mut out = BytesMut::new();
        while let Some(len) = event_len(&self.buf) {
            let event = self.buf.split_to(len);
            if self.keep(&event) {
                out.extend_from_slice(&event);
            }
        }
        if at_end && !self.buf.is_empty() {
            let event = self.buf.split();
            if self.keep(&event) {
                out.extend_from_slice(&event);
            }
        }
        (!out.is_empty()).then(|| out.freeze())
    }

    /// Reads usage from an event; false when it is the usage-only chunk to strip.
    fn keep(&mut self, event: &[u8]) -> bool {
        if !mentions_usage_object(event) {
            return true;
        }
        let Some(json) =
            data_payload(event).and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
        else {
            return true;
        };
        if let Some(usage) = Usage::from_json(&json) {
            self.finish.ex.usage = Some(usage);
        }
        let usage_only = json["choices"].as_array().is_some_and(Vec::is_empty);
        !(self.strip_usage && usage_only)
    }
}

impl Stream for Relay {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(out) = this.drain(this.done) {
                return Poll::Ready(Some(Ok(out)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.aborted.as_mut().poll(cx).is_ready() {
                this.done = true;
                this.finish.end = End::Shutdown;
                return Poll::Ready(Some(Err(std::io::Error::other("gateway shutting down"))));
            }
            let chunk = match this.pending.take() {
                Some(c) => c,
                None => match this.upstream.poll_next_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(c))) => c,
                    Poll::Ready(Some(Err(e))) => {
                        this.done = true;
                        this.finish.end = End::UpstreamFailed;
                        return Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))));
                    }
                    Poll::Ready(None) => {
                        this.done = true;
                        this.finish.end = End::Completed;
                        continue;
                    }
                },
            };
            this.buf.extend_from_slice(&chunk);
        }
    }
}

/// Length of the first complete event (including its blank-line terminator), if any.
fn event_len(buf: &[u8]) -> Option<usize> {
    let lf = find(buf, b"\n\n").map(|i| i + 2);
    let crlf = find(buf, b"\r\n\r\n").map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Cheap pre-check so only chunks with a `"usage": {` object are parsed as JSON.
fn mentions_usage_object(event: &[u8]) -> bool {
    let mut rest = event;
    while let Some(i) = find(rest, b"\"usage\"") {
        let after = &rest[i + 7..];
        let value = after
            .iter()
            .find(|b| !(b.is_ascii_whitespace() || **b == b':'));
        if value == Some(&b'{') {
            return true;
        }
        rest = after;
    }
    false
}

/// The `data:` payload of an event (multi-line data joined with `\n`).
fn data_payload(event: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(event).ok()?;
    let mut data: Option<Vec<u8>> = None;
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("data:") {
            let d = d.strip_prefix(' ').unwrap_or(d);
            let buf = data.get_or_insert_with(Vec::new);
            if !buf.is_empty() {
                buf.push(b'\n');
            }
            buf.extend_from_slice(d.as_bytes());
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_on_blank_lines_of_either_kind() {
        assert_eq!(event_len(b"data: a\n\ndata: b"), Some(9));
        assert_eq!(event_len(b"data: a\r\n\r\nx"), Some(11));
        assert_eq!(event_len(b"data: partial"), None);
    }

    #[test]
    fn only_usage_objects_trigger_parsing() {
        assert!(mentions_usage_object(
            br#"data: {"choices":[],"usage": {"prompt_tokens":1}}"#
        ));
        assert!(!mentions_usage_object(
            br#"data: {"choices":[{}],"usage":null}"#
        ));
    }
}
