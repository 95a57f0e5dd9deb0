//! Parameter parsing for the fake server: JSON, urlencoded and `multipart/form-data` bodies and
//! the query string, and the lenient readers teloxide's encodings need (numbers as strings).

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

pub(super) fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn is_true(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        _ => false,
    }
}

/// `reply_markup` arrives as an object (JSON body) or as a JSON string (multipart/urlencoded).
pub(super) fn parse_markup(value: Option<&Value>) -> Option<Value> {
    match value? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

pub(super) fn parse_params(
    headers: &HeaderMap,
    body: &[u8],
    query: Option<&str>,
) -> Result<Value, String> {
    let mut params = Map::new();
    if let Some(query) = query {
        params.extend(parse_urlencoded(query));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(params));
    }
    match essence.as_str() {
        "multipart/form-data" => params.extend(parse_multipart(&content_type, body)?),
        "application/x-www-form-urlencoded" => {
            let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
            params.extend(parse_urlencoded(text));
        }
        _ => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => params.extend(object),
            Ok(_) => return Err("parameters must be a JSON object".into()),
            Err(e) => return Err(format!("can't parse JSON body: {e}")),
        },
    }
    Ok(Value::Object(params))
}

pub(super) fn parse_urlencoded(text: &str) -> Map<String, Value> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), Value::String(percent_decode(value)))
        })
        .collect()
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A deliberately small `multipart/form-data` parser: text parts become string fields, file
/// parts (those with a `filename`, or referenced as `attach://<name>`) become `<field>_bytes`.
pub(super) fn parse_multipart(
    content_type: &str,
    body: &[u8],
) -> Result<Map<String, Value>, String> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .ok_or("multipart body without boundary")?;
    let delimiter = format!("--{boundary}").into_bytes();

    // (name, content, has a filename), in order.
    let mut parts: Vec<(String, &[u8], bool)> = Vec::new();
    let mut pos = find(body, &delimiter, 0).ok_or("multipart delimiter not found")?;
    loop {
        pos += delimiter.len();
        if body[pos..].starts_with(b"--") {
            break; // closing delimiter
        }
        let headers_start = pos + 2; // CRLF after the delimiter
        let headers_end = find(body, b"\r\n\r\n", headers_start).ok_or("part without headers")?;
        let part_headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let content_start = headers_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let content_end = find(body, &closing, content_start).ok_or("unterminated part")?;

        let disposition = part_headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let attribute = |name: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
            })
        };
        let name = attribute("name").unwrap_or_default();
        let is_file = attribute("filename").is_some();
        parts.push((name, &body[content_start..content_end], is_file));
        pos = content_end + 2;
    }

    // Parts referenced as `attach://<name>` are files even without a filename.
    let attached: Vec<String> = parts
        .iter()
        .filter_map(|(_, content, _)| std::str::from_utf8(content).ok())
        .filter_map(|v| v.strip_prefix("attach://"))
        .map(str::to_string)
        .collect();
    let is_file =
        |name: &str, has_filename: bool| has_filename || attached.iter().any(|a| a == name);
    let file_len = |name: &str| {
        parts
            .iter()
            .find(|(n, _, f)| n == name && is_file(n, *f))
            .map(|(_, content, _)| content.len())
    };

    let mut params = Map::new();
    for (name, content, has_filename) in &parts {
        if is_file(name, *has_filename) {
            continue;
        }
        let value = String::from_utf8_lossy(content).into_owned();
        if let Some(len) = value.strip_prefix("attach://").and_then(file_len) {
            params.insert(format!("{name}_bytes"), json!(len));
        }
        params.insert(name.clone(), Value::String(value));
    }
    // Files uploaded directly under the field name (no `attach://`).
    for (name, content, has_filename) in &parts {
        if is_file(name, *has_filename) && !attached.contains(name) {
            params.insert(format!("{name}_bytes"), json!(content.len()));
        }
    }
    Ok(params)
}
