//! Security headers for the console's pages: a content security policy that allows only our own
//! resources (the console has no script at all), no framing, no referrer leaving the site, and
//! no caching of pages that show names, chat titles and CSRF tokens.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// Our own stylesheet and form targets only; no scripts, frames, plugins or foreign images.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the console's security headers to a response (a `map_response` layer).
pub async fn console_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}
