//! Stdio framing around the protocol service, so a malformed message is answered
//! with an error and the server keeps serving.
//!
//! tower-lsp-server stops reading input after the first frame it cannot decode (its
//! framed reader ends the stream on a decoder error), which would end the session on
//! one bad message. Here every frame is checked before the service sees it: valid
//! JSON-RPC goes through unchanged, anything else gets a JSON-RPC error response
//! (`-32700` parse error, `-32600` invalid request) written between the service's own
//! frames on stdout.

use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
};

use tokio::sync::{Mutex, watch};

/// Largest message accepted; a larger `Content-Length` is a parse error.
const MAX_MESSAGE: usize = 256 << 20;
const PIPE_BUFFER: usize = 1 << 16;

/// The ends of the pumps the service is plugged into.
pub struct Pipes {
    pub service_in: DuplexStream,
    pub service_out: DuplexStream,
    /// Completes when everything the service wrote has been flushed to the output.
    pub flushed: tokio::task::JoinHandle<()>,
    /// Becomes true once the client sent `exit` or closed the input: the session is
    /// over even if some handler is still waiting for a reply that will never come.
    pub input_done: watch::Receiver<bool>,
}

/// Spawns the input and output pumps.
pub fn spawn(
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> Pipes {
    let (service_in, to_service) = tokio::io::duplex(PIPE_BUFFER);
    let (service_out, from_service) = tokio::io::duplex(PIPE_BUFFER);
    // Whole frames are written under the lock, so the service's frames and our error
    // responses never interleave.
    let output: SharedOutput = Arc::new(Mutex::new(Box::new(output)));
    let (done_tx, input_done) = watch::channel(false);
    let errors_out = output.clone();
    tokio::spawn(async move {
        pump_input(input, to_service, errors_out).await;
        let _ = done_tx.send(true);
    });
    let flushed = tokio::spawn(pump_output(from_service, output));
    Pipes {
        service_in,
        service_out,
        flushed,
        input_done,
    }
}

type SharedOutput = Arc<Mutex<Box<dyn AsyncWrite + Unpin + Send>>>;

async fn write_frame(output: &SharedOutput, body: &[u8]) -> bool {
    let mut out = output.lock().await;
    out.write_all(&frame(body)).await.is_ok() && out.flush().await.is_ok()
}

/// One frame read from a stream: its body, or why it is not a valid frame.
enum Frame {
    Body(Vec<u8>),
    /// A header block without a usable `Content-Length`.
    BadHeader,
    Eof,
}

/// Longest header line read; a longer one makes the frame's header invalid (and is
/// skipped, never buffered whole: a client cannot make the server hold a huge line).
const MAX_HEADER_LINE: usize = 8 << 10;

/// One header line as bytes (header bytes need not be UTF-8: a bad byte makes a bad
/// header, not the end of the session), `None` at the end of input. An overlong line
/// is skipped to its end and returned as `Some(None)`.
async fn read_header_line(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut overlong = false;
    loop {
        // At most MAX_HEADER_LINE bytes a read; an overlong line is read on in chunks
        // of that size (each dropped) until its newline.
        line.clear();
        let n = (&mut *reader)
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)
            .await
            .ok()?;
        if n == 0 {
            return None;
        }
        if line.ends_with(b"\n") || n < MAX_HEADER_LINE {
            return Some((!overlong).then_some(line));
        }
        overlong = true;
    }
}

async fn read_frame(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Frame {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    let mut overlong = false;
    loop {
        let Some(line) = read_header_line(reader).await else {
            return Frame::Eof;
        };
        let Some(line) = line else {
            overlong = true;
            saw_header = true;
            continue;
        };
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_header {
                continue; // stray blank lines between frames
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let Some(length) = length.filter(|&n| n <= MAX_MESSAGE) else {
        return Frame::BadHeader;
    };
    let mut body = vec![0; length];
    match reader.read_exact(&mut body).await {
        // The body of a frame with an overlong header line is read (so the stream
        // stays in step) and dropped.
        Ok(_) if overlong => Frame::BadHeader,
        Ok(_) => Frame::Body(body),
        Err(_) => Frame::Eof,
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// What tower-lsp-server decodes a frame body as (its own `Message` is private, so
/// this mirrors it: the same untagged enum of its public types, in the same order).
/// A body that does not decode as this would end the service's input for good.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ServiceMessage {
    #[allow(dead_code)] // only whether it decodes matters
    Response(tower_lsp_server::jsonrpc::Response),
    #[allow(dead_code)]
    Request(tower_lsp_server::jsonrpc::Request),
}

/// Why a body is not a JSON-RPC message tower-lsp-server can route, as an error
/// response; None when it is fine.
fn reject(body: &[u8]) -> Option<Value> {
    let error = |code: i64, message: &str, id: Value| json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return Some(error(-32700, "Parse error", Value::Null)),
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    // tower-lsp-server's ids are strings or 64-bit signed integers: 1.5 or 2^63 are
    // valid JSON-RPC numbers it cannot decode.
    let valid_id = match &id {
        Value::Null | Value::String(_) => true,
        Value::Number(n) => n.is_i64(),
        _ => false,
    };
    let is_message = value.get("jsonrpc") == Some(&json!("2.0"))
        && valid_id
        && (value.get("method").is_some_and(Value::is_string)
            || (value.get("id").is_some()
                && (value.get("result").is_some() || value.get("error").is_some())))
        // The shape is right; the service's own types must also accept it (they
        // reject, for one, an object with a key twice, which `Value` accepts).
        && serde_json::from_slice::<ServiceMessage>(body).is_ok();
    if is_message {
        None
    } else {
        let id = if valid_id { id } else { Value::Null };
        Some(error(-32600, "Invalid Request", id))
    }
}

fn is_exit(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| v.get("method") == Some(&json!("exit")))
}

async fn pump_input(
    input: impl AsyncRead + Unpin,
    mut to_service: DuplexStream,
    output: SharedOutput,
) {
    let mut reader = BufReader::new(input);
    loop {
        let rejected = match read_frame(&mut reader).await {
            Frame::Eof => break,
            Frame::BadHeader => json!({"jsonrpc": "2.0", "id": null,
                "error": {"code": -32700, "message": "Parse error: missing or invalid Content-Length"}}),
            Frame::Body(body) => match reject(&body) {
                Some(response) => response,
                None => {
                    if to_service.write_all(&frame(&body)).await.is_err() {
                        break;
                    }
                    if is_exit(&body) {
                        break;
                    }
                    continue;
                }
            },
        };
        tracing::error!(
            "malformed message: {}",
            rejected["error"]["message"].as_str().unwrap_or_default()
        );
        if !write_frame(&output, rejected.to_string().as_bytes()).await {
            break;
        }
    }
    // Closing the pipe ends the service's input: after `exit` nothing more is read,
    // and stdin closed means the client is gone.
    let _ = to_service.shutdown().await;
}

/// Copies the service's frames to the output until the service closes it.
async fn pump_output(from_service: DuplexStream, output: SharedOutput) {
    let mut reader = BufReader::new(from_service);
    while let Frame::Body(body) = read_frame(&mut reader).await {
        if !write_frame(&output, &body).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_the_service_cannot_decode() {
        assert_eq!(reject(b"{not json").unwrap()["error"]["code"], -32700);
        assert_eq!(reject(br#"{"id": 3}"#).unwrap()["error"]["code"], -32600);
        assert_eq!(reject(br#"{"id": 3}"#).unwrap()["id"], 3);
        let bad_id = reject(br#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#).unwrap();
        assert_eq!(bad_id["id"], Value::Null);
        assert_eq!(reject(b"[1,2]").unwrap()["error"]["code"], -32600);
        assert!(reject(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).is_none());
        assert!(reject(br#"{"jsonrpc":"2.0","method":"exit"}"#).is_none());
        assert!(reject(br#"{"jsonrpc":"2.0","id":"a","result":null}"#).is_none());
    }

    /// Valid JSON-RPC that tower-lsp-server cannot decode: passed on, it ended the
    /// session (found by the `lsp_framing` fuzz target).
    #[test]
    fn rejects_messages_the_service_cannot_decode() {
        for body in [
            &br#"{"jsonrpc":"2.0","id":1.5,"method":"initialize","params":{}}"#[..],
            br#"{"jsonrpc":"2.0","id":9223372036854775808,"method":"shutdown"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"shutdown","method":"exit"}"#,
            br#"{"jsonrpc":"2.0","id":2,"result":null,"id":3}"#,
        ] {
            let text = std::str::from_utf8(body).unwrap();
            let response = reject(body).unwrap_or_else(|| panic!("passed on: {text}"));
            assert_eq!(response["error"]["code"], -32600, "{text}");
            assert!(
                serde_json::from_slice::<ServiceMessage>(body).is_err(),
                "{text}"
            );
        }
        assert_eq!(
            reject(br#"{"jsonrpc":"2.0","id":-7,"method":"x"}"#),
            None,
            "negative ids are fine"
        );
    }

    /// Reads every frame of `input` as the input pump does.
    async fn frames(input: &[u8]) -> Vec<Result<Vec<u8>, ()>> {
        let mut reader = BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut reader).await {
                Frame::Eof => return out,
                Frame::BadHeader => out.push(Err(())),
                Frame::Body(b) => out.push(Ok(b)),
            }
        }
    }

    /// Header bytes that are not UTF-8, and a header line longer than any real one,
    /// make one bad frame; the frames after them are still read.
    #[tokio::test]
    async fn bad_header_bytes_and_overlong_lines_spoil_one_frame_only() {
        let mut input = b"Content-Length: 2\r\nX-\xff\xfe: \x80\r\n\r\n{}".to_vec();
        input.extend_from_slice(b"X-Long: ");
        input.extend(std::iter::repeat_n(b'a', 3 * MAX_HEADER_LINE));
        input.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n[]");
        input.extend_from_slice(b"Content-Length: 4\r\n\r\nnull");
        assert_eq!(
            frames(&input).await,
            vec![Ok(b"{}".to_vec()), Err(()), Ok(b"null".to_vec())]
        );
    }
}
