//! What guards every request and response: the security headers of every response, and the
//! refusal of what another site could make a visitor's browser send.

use axum::http::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERER, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
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
/// login: a `Host` that is neither `localhost` nor an IP address (a DNS-rebinding page, 421),
/// and a form (any method but GET and HEAD) that [`initiator`] says came from elsewhere (403).
///
/// A form none of whose `Origin`, `Sec-Fetch-Site` and `Referer` says anything is accepted, on
/// purpose: browsers send `Origin` with every POST (and `Sec-Fetch-Site` too, to `localhost`
/// and loopback addresses), so only a client that is not a browser (curl, a script) sends
/// none, and such a client could send whatever headers it liked anyway.
pub(crate) async fn same_site_only(request: axum::extract::Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok())
        && !local_host(host)
    {
        let text = "open the admin by IP address or as localhost";
        return (StatusCode::MISDIRECTED_REQUEST, text).into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        && initiator(headers) == Initiator::Elsewhere
    {
        return (StatusCode::FORBIDDEN, "forms from other sites are refused").into_response();
    }
    next.run(request).await
}

/// Who made the browser send a request, as far as its headers tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Initiator {
    /// A page of this server (same scheme, host and port), or the user (an address typed, a
    /// bookmark).
    ThisServer,
    /// A page of another site, or of another port of this host (a "same-site" page: cookies
    /// marked `SameSite=Strict` still come along).
    Elsewhere,
    /// No header says: not a browser (curl, a script), or an old one.
    Unknown,
}

/// Whom `headers` name as a request's initiator: `Origin` (`null` names no one of this
/// server), `Sec-Fetch-Site` (`same-origin`, or `none` for the user's own doing) and the
/// origin of `Referer` must each, when present, say this server (the `Host` asked for);
/// any that says otherwise makes it [`Initiator::Elsewhere`].
pub(crate) fn initiator(headers: &HeaderMap) -> Initiator {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let ours = |origin: &str| {
        host.is_some_and(|host| {
            let authority = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            authority == Some(host)
        })
    };
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    let says_ours = [
        text(ORIGIN).map(ours),
        text(SEC_FETCH_SITE).map(|site| matches!(site, "same-origin" | "none")),
        text(REFERER).map(|referer| ours(origin_of(referer))),
    ];
    if says_ours.contains(&Some(false)) {
        Initiator::Elsewhere
    } else if says_ours.contains(&Some(true)) {
        Initiator::ThisServer
    } else {
        Initiator::Unknown
    }
}

/// The `Sec-Fetch-Site` header (the `http` crate has no constant for it).
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The `scheme://authority` a URL starts with (all of it if nothing follows).
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
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
