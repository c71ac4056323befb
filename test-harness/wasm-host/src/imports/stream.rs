//! Stream control: `proxy_send_local_response`, `proxy_continue_stream` and
//! `proxy_close_stream`.
//!
//! Envoy acts on these after the callback returns; the host records them on the
//! stream, where a test inspects them. Outside a stream they do nothing and answer
//! `Ok`, as in Envoy. On a network stream, a local response does nothing (there is
//! no HTTP stream to answer), `continue_stream(Downstream)` resumes reading once the
//! callback returns, and `continue_stream(Upstream)` is `Unimplemented`, as Envoy
//! answers it everywhere. A close of either side is only recorded: Envoy closes
//! the connection after the callback, and a test drives that close itself.

use super::Registry;
use super::memory::{HostCaller, read};
use crate::abi::{Status, StreamType};
use crate::codec::decode_pairs;
use crate::connection::Direction;
use crate::stream_state::LocalResponse;

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_send_local_response", send_local_response)?;
    registry.wrap("env", "proxy_continue_stream", continue_stream)?;
    registry.wrap("env", "proxy_close_stream", close_stream)
}

#[expect(
    clippy::too_many_arguments,
    reason = "the ABI's signature: three pointer-length pairs, a status and a gRPC code"
)]
fn send_local_response(
    mut caller: HostCaller<'_>,
    status: u32,
    details_ptr: u32,
    details_len: u32,
    body_ptr: u32,
    body_len: u32,
    headers_ptr: u32,
    headers_len: u32,
    grpc_status: i32,
) -> u32 {
    let (Some(details), Some(body), Some(headers)) = (
        read(&mut caller, details_ptr, details_len),
        read(&mut caller, body_ptr, body_len),
        read(&mut caller, headers_ptr, headers_len),
    ) else {
        return Status::InvalidMemoryAccess.code();
    };
    let headers = decode_pairs(&headers)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    if let Some(stream) = caller.data_mut().stream_mut()
        && stream.connection.is_none()
        && stream.local_response.is_none()
    {
        stream.local_response = Some(LocalResponse {
            status,
            details: String::from_utf8_lossy(&details).into_owned(),
            headers,
            body,
            grpc_status,
        });
    }
    Status::Ok.code()
}

fn continue_stream(mut caller: HostCaller<'_>, stream_type: u32) -> u32 {
    let Some(stream_type) = StreamType::from_code(stream_type) else {
        return Status::BadArgument.code();
    };
    match stream_type {
        StreamType::Upstream => return Status::Unimplemented.code(),
        StreamType::Downstream => {
            let state = caller.data_mut();
            if let Some(stream) = state.stream_mut()
                && stream.connection.is_some()
            {
                stream.continued.push(stream_type);
                state.request_resume(Direction::Downstream);
            }
            return Status::Ok.code();
        }
        StreamType::Request | StreamType::Response => {}
    }
    if let Some(stream) = caller.data_mut().stream_mut() {
        stream.continued.push(stream_type);
        // Envoy forgets the request's maps after either kind of continue.
        stream.release(true);
    }
    Status::Ok.code()
}

fn close_stream(mut caller: HostCaller<'_>, stream_type: u32) -> u32 {
    let Some(stream_type) = StreamType::from_code(stream_type) else {
        return Status::BadArgument.code();
    };
    if let Some(stream) = caller.data_mut().stream_mut() {
        stream.closed.push(stream_type);
    }
    Status::Ok.code()
}
