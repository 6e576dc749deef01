//! What guards every request and response: the security headers of every response, and the
//! refusal of what another site could make a visitor's browser send.

use axum::http::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What every response allows a browser: only this server's own script and stylesheet (no
/// inline script or style: the pages have none, nor do the addon's mails, shown in sandboxed
/// frames), forms and connections to this server only, and no framing by any page.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                      connect-src 'self'; form-action 'self'; frame-src 'self'; \
                      frame-ancestors 'none'; base-uri 'none'";

/// Puts the security headers on every response (pages, errors, refusals, assets, the event
/// stream): the [`POLICY`], and for older browsers `X-Frame-Options: DENY` too, since a framed
/// page could be clicked through by the site around it; no MIME sniffing; and the full
/// `Referer` only to this server (no page address, and so no order id, leaks out).
pub(crate) async fn security_headers(request: axum::extract::Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// Refuses what another site could make a visitor's browser send, since the admin has no
/// login: a `Host` that is neither `localhost` nor an IP address (a DNS-rebinding page), and a
/// form whose `Origin` is not this server (421 and 403).
pub(crate) async fn same_site_only(request: axum::extract::Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    if let Some(host) = host
        && !local_host(host)
    {
        let text = "open the admin by IP address or as localhost";
        return (StatusCode::MISDIRECTED_REQUEST, text).into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        && let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok())
    {
        let same = host.is_some_and(|h| {
            origin.strip_prefix("http://") == Some(h) || origin.strip_prefix("https://") == Some(h)
        });
        if !same {
            return (StatusCode::FORBIDDEN, "forms from other sites are refused").into_response();
        }
    }
    next.run(request).await
}

/// Whether a `Host` header names `localhost` or an IP address (any port).
fn local_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(name, _)| name),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_host_names_are_served() {
        for host in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1:8080",
            "10.0.0.5",
            "[::1]:8080",
        ] {
            assert!(local_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.nip.io:80",
            "[::1",
        ] {
            assert!(!local_host(host), "{host}");
        }
    }
}
