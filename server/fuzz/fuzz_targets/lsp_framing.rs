//! Arbitrary bytes on the server's stdin, through the real framing layer
//! (`vigil::lsp::transport`). Whatever arrives, every frame passed on to the protocol
//! service must be one tower-lsp-server can decode (it stops reading for good after
//! one it cannot), nothing is passed on after `exit`, and everything written back
//! to the client is a well-formed frame holding a JSON-RPC message.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tower_lsp_server::jsonrpc::{Request, Response};
use vigil::lsp::transport;

/// What tower-lsp-server's decoder reads a frame body as (its `Message` is private).
#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)] // only decoding matters
enum Message {
    Response(Response),
    Request(Request),
}

/// Splits a stream written by the transport into frame bodies; panics on anything
/// that is not `Content-Length: N\r\n\r\n` followed by N bytes.
fn frames(mut stream: &[u8]) -> Vec<&[u8]> {
    let mut bodies = Vec::new();
    while !stream.is_empty() {
        let header_end = stream
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a frame header ends with a blank line");
        let header = std::str::from_utf8(&stream[..header_end]).expect("ASCII header");
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("bad header {header:?}"));
        let body_start = header_end + 4;
        assert!(stream.len() >= body_start + length, "truncated frame");
        bodies.push(&stream[body_start..body_start + length]);
        stream = &stream[body_start + length..];
    }
    bodies
}

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (to_service, to_client) = runtime.block_on(async {
        let (client_out, mut client_in) = tokio::io::duplex(1 << 16);
        let pipes = transport::spawn(Cursor::new(data.to_vec()), client_out);
        let mut service_in = pipes.service_in;
        // The service writes nothing; closing its output lets the output pump end.
        drop(pipes.service_out);
        let read_service = async {
            let mut v = Vec::new();
            service_in.read_to_end(&mut v).await.expect("service input");
            v
        };
        let read_client = async {
            let mut v = Vec::new();
            client_in.read_to_end(&mut v).await.expect("client output");
            v
        };
        tokio::join!(read_service, read_client)
    });
    let forwarded = frames(&to_service);
    for (i, body) in forwarded.iter().enumerate() {
        let text = std::str::from_utf8(body).expect("forwarded bodies are UTF-8");
        if let Err(e) = serde_json::from_str::<Message>(text) {
            panic!("forwarded a frame the service cannot decode ({e}): {text}");
        }
        let is_exit = serde_json::from_str::<Value>(text)
            .is_ok_and(|v| v.get("method").and_then(Value::as_str) == Some("exit"));
        assert!(
            !is_exit || i == forwarded.len() - 1,
            "a frame was forwarded after exit"
        );
    }
    for body in frames(&to_client) {
        let reply: Value = serde_json::from_slice(body).expect("replies are JSON");
        assert_eq!(reply["jsonrpc"], "2.0");
        assert!(reply["error"]["code"].is_i64(), "an error reply: {reply}");
    }
});
