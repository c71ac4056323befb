//! Where in the configuration a JSON error is: `residency.rules[0].match.hostz`.
//!
//! `serde_json` reports the line and column where it stopped; this reads the
//! document up to there and names the keys and array indices that lead to the
//! value being read, exactly as `serde_path_to_error` names them. It runs once, on a
//! refused configuration. `serde_path_to_error` wraps every visitor of the
//! deserializer to track the path instead, which cost 26 KB of the optimised
//! `.wasm`, about a tenth of it (BENCHMARKS.md, "Config error paths from the error's
//! position"). The tests in `policy::tests::config_paths` check it against that
//! crate: on every prefix of the contract's example, on typed mistakes, and on every
//! wrong value put anywhere in the example.
//!
//! One difference: an object where a one-word enum belongs (`"mode": {"x": 1}`) is
//! named one level deeper (`mode.x`), since the text alone cannot tell that serde
//! reads that object as an enum.

use serde_json::Error;
use serde_json::error::Category;

/// Where the reader is in an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InObject {
    /// Before a key: after `{` or `,`.
    Key,
    /// Inside a key's string.
    InKey,
    /// After a key, before its `:`.
    AfterKey,
    /// After the `:`, or inside the value.
    Value,
    /// After a whole value, before `,` or `}`.
    AfterValue,
}

/// Where the reader is in an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InArray {
    /// Before an element: after `[` or `,`.
    Element,
    /// Inside an element.
    InElement,
    /// After a whole element, before `,` or `]`.
    AfterElement,
}

/// One open object or array.
#[derive(Debug)]
enum Frame {
    Object { key: Option<String>, at: InObject },
    Array { index: usize, at: InArray },
}

impl Frame {
    /// A value starts in this frame.
    fn begin_value(&mut self) {
        match self {
            Self::Object { at, .. } => *at = InObject::Value,
            Self::Array { at, .. } => *at = InArray::InElement,
        }
    }

    /// A value of this frame ended.
    fn end_value(&mut self) {
        match self {
            Self::Object { at, .. } => *at = InObject::AfterValue,
            Self::Array { at, .. } => *at = InArray::AfterElement,
        }
    }
}

/// The path to where `serde_json` stopped with `error` in `json`, as
/// `serde_path_to_error` writes it (`a.b[0].c`, `?` for a key not read yet); empty
/// at the top level.
pub fn error_path(json: &[u8], error: &Error) -> String {
    let category = error.classify();
    // For a syntax error the column is that of the byte serde_json looked at and
    // refused (a stray `}`), not consumed yet; otherwise of the last one consumed.
    let consumed = match category {
        Category::Syntax => error.column().saturating_sub(1),
        Category::Io | Category::Data | Category::Eof => error.column(),
    };
    let end = line_start(json, error.line())
        .saturating_add(consumed)
        .min(json.len());
    let frames = read(json.get(..end).unwrap_or(json));
    render(&frames, category, json.get(end).copied())
}

/// The offset of line `line` (1-based).
fn line_start(json: &[u8], line: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match json
            .get(offset..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        {
            Some(newline) => offset += newline + 1,
            None => break,
        }
    }
    offset
}

/// The frames open after reading `prefix`, each with where the reader is in it.
fn read(prefix: &[u8]) -> Vec<Frame> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut at = 0;
    let mut in_scalar = false;
    let mut scalar_start = 0;
    while let Some(&byte) = prefix.get(at) {
        at += 1;
        let scalar_byte = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.');
        if in_scalar && !scalar_byte {
            in_scalar = false;
            if let Some(top) = stack.last_mut() {
                top.end_value();
            }
        }
        match byte {
            b'{' | b'[' => {
                if let Some(top) = stack.last_mut() {
                    top.begin_value();
                }
                stack.push(if byte == b'{' {
                    Frame::Object {
                        key: None,
                        at: InObject::Key,
                    }
                } else {
                    Frame::Array {
                        index: 0,
                        at: InArray::Element,
                    }
                });
            }
            b'}' | b']' => {
                stack.pop();
                if let Some(top) = stack.last_mut() {
                    top.end_value();
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, at }) => {
                    *key = None;
                    *at = InObject::Key;
                }
                Some(Frame::Array { index, at }) => {
                    *index += 1;
                    *at = InArray::Element;
                }
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { at, .. }) = stack.last_mut() {
                    *at = InObject::Value;
                }
            }
            b'"' => {
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        at: InObject::Key,
                        ..
                    })
                );
                let (text, next, closed) = string(prefix, at);
                at = next;
                match stack.last_mut() {
                    Some(Frame::Object { key, at }) if is_key => {
                        *at = if closed {
                            *key = Some(text);
                            InObject::AfterKey
                        } else {
                            InObject::InKey
                        };
                    }
                    Some(top) => {
                        top.begin_value();
                        if closed {
                            top.end_value();
                        }
                    }
                    None => {}
                }
            }
            _ if scalar_byte && !in_scalar => {
                in_scalar = true;
                scalar_start = at - 1;
                if let Some(top) = stack.last_mut() {
                    top.begin_value();
                }
            }
            _ => {}
        }
    }
    // At the end of the prefix a number is whole; `tr` is not yet `true`.
    let scalar = prefix.get(scalar_start..).unwrap_or_default();
    let whole = !matches!(scalar.first(), Some(b't' | b'f' | b'n'))
        || matches!(scalar, b"true" | b"false" | b"null");
    if in_scalar
        && whole
        && let Some(top) = stack.last_mut()
    {
        top.end_value();
    }
    stack
}

/// The string starting at `start` (after its opening quote), unescaped where the
/// escape is a single character; the index after it; whether it was closed.
fn string(bytes: &[u8], start: usize) -> (String, usize, bool) {
    let mut out = Vec::new();
    let mut at = start;
    let mut closed = false;
    while let Some(&byte) = bytes.get(at) {
        at += 1;
        match byte {
            b'"' => {
                closed = true;
                break;
            }
            b'\\' => {
                let Some(&escaped) = bytes.get(at) else {
                    break;
                };
                at += 1;
                match escaped {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'u' => out.extend_from_slice(b"\\u"),
                    other => out.push(other),
                }
            }
            other => out.push(other),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), at, closed)
}

/// Keys joined by dots, indices in brackets. Every frame but the innermost is
/// inside one of its values; where the innermost one is decides, with what went
/// wrong, whether its key or index was being read (`peeked` is the byte after the
/// consumed prefix).
fn render(frames: &[Frame], category: Category, peeked: Option<u8>) -> String {
    let data = category == Category::Data;
    let mut path = String::new();
    let push_key = |path: &mut String, key: &str| {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    };
    let last = frames.len().saturating_sub(1);
    for (i, frame) in frames.iter().enumerate() {
        let innermost = i == last;
        match frame {
            Frame::Object { key, at } => {
                let key = key.as_deref();
                let segment = match (innermost, at) {
                    (false, _) | (true, InObject::Value) => Some(key.unwrap_or("?")),
                    (true, InObject::Key | InObject::InKey) => Some("?"),
                    (true, InObject::AfterKey | InObject::AfterValue) if data => {
                        Some(key.unwrap_or("?"))
                    }
                    (true, InObject::AfterKey) => None,
                    (true, InObject::AfterValue) => Some("?"),
                };
                if let Some(segment) = segment {
                    push_key(&mut path, segment);
                }
            }
            Frame::Array { index, at } => {
                let reading_element = match (innermost, at) {
                    (false, _) | (true, InArray::InElement) => true,
                    (true, InArray::AfterElement) => data,
                    // Refusing the first byte of an element happens inside it; a
                    // `]` after a `,` or the end of the text, outside.
                    (true, InArray::Element) => {
                        data || (category == Category::Syntax
                            && !matches!(peeked, None | Some(b']')))
                    }
                };
                if reading_element {
                    path.push('[');
                    path.push_str(&index.to_string());
                    path.push(']');
                }
            }
        }
    }
    path
}
