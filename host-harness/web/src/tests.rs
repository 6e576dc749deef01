//! The admin over HTTP, without a browser (the browser tests are `tests/browser.rs`): its
//! router called as a service over an in-memory store with the demo's marketplace, every page
//! through the embedded component.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures_util::StreamExt;
use tower::ServiceExt;

use super::{WebApp, install_marketplace_if_empty};
use crate::app::FLASH_MAX_BYTES;
use order_messages_app::workspace::{Location, OpenOptions, Workspace};
use order_messages_host::types::MultivendorMode;
use order_messages_platform::Clock;

fn admin(mode: MultivendorMode) -> WebApp {
    let workspace = Workspace::open(OpenOptions {
        location: Location::Memory,
        create: true,
        durable_mail: true,
        clock: Clock::system(),
    })
    .unwrap();
    assert!(install_marketplace_if_empty(&workspace).unwrap());
    workspace.platform.directory.set_mode(mode);
    WebApp::new(order_messages_platform::runtime().clone(), workspace)
}

/// What a request got back.
struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    body: String,
}

impl Reply {
    /// The one-time message's id the response set.
    fn flash(&self) -> Option<String> {
        self.cookies
            .iter()
            .find_map(|c| c.strip_prefix("om_flash="))
            .and_then(|c| c.split(';').next())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// A request as `user` (a cookie), with the one-time message `flash`, posting `form` if given.
async fn send(
    app: &WebApp,
    path: &str,
    user: &str,
    flash: Option<&str>,
    form: Option<&[(&str, &str)]>,
) -> Reply {
    let mut cookie = format!("om_as={user}");
    if let Some(f) = flash {
        cookie.push_str(&format!("; om_flash={f}"));
    }
    let request = Request::builder().uri(path).header(header::COOKIE, cookie);
    call(app, with_form(request, form)).await
}

/// `request` posting `form`, or a GET without one.
fn with_form(
    request: axum::http::request::Builder,
    form: Option<&[(&str, &str)]>,
) -> Request<Body> {
    match form {
        Some(fields) => request
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(fields).unwrap())),
        None => request.method("GET").body(Body::empty()),
    }
    .unwrap()
}

/// What the admin answers to `request`.
async fn call(app: &WebApp, request: Request<Body>) -> Reply {
    let response = app.router().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        location: headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        cookies: headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect(),
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn get(app: &WebApp, path: &str, user: &str) -> Reply {
    send(app, path, user, None, None).await
}

async fn post(app: &WebApp, path: &str, user: &str, form: &[(&str, &str)]) -> Reply {
    let reply = send(app, path, user, None, Some(form)).await;
    assert_eq!(
        reply.status,
        StatusCode::SEE_OTHER,
        "{path}: {}",
        reply.body
    );
    reply
}

/// Follows a form's redirect as `user`, with its one-time message.
async fn follow(app: &WebApp, reply: &Reply, user: &str) -> Reply {
    let to = reply.location.as_deref().expect("a redirect");
    let path = to.split('#').next().unwrap();
    send(app, path, user, reply.flash().as_deref(), None).await
}

#[tokio::test]
async fn a_message_is_posted_once_per_form_and_shown_escaped() {
    let app = admin(MultivendorMode::SeparateShops);
    let hostile = "<script>alert(1)</script> & \"quotes\"";
    let form = [("body", hostile), ("key", "form-1")];
    let posted = post(&app, "/orders/o1/messages", "c1", &form).await;
    assert_eq!(posted.location.as_deref(), Some("/orders/o1#m1"));
    // The same form sent again (a double click) posts nothing new.
    let again = post(&app, "/orders/o1/messages", "c1", &form).await;
    assert_eq!(again.location.as_deref(), Some("/orders/o1#m1"));

    let page = follow(&app, &posted, "c1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Message #1 sent."), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;")
    );
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(page.body.contains("1 message<"), "one message, not two");
    // The one-time message is cleared, and gone on the next visit.
    assert!(page.cookies.iter().any(|c| c.starts_with("om_flash=;")));
    let later = follow(&app, &posted, "c1").await;
    assert!(!later.body.contains("Message #1 sent."));

    // Sam's list, and the mail's HTML body in the outbox, escape it too.
    let inbox = get(&app, "/messages", "s1").await;
    assert!(inbox.body.contains("&lt;script&gt;alert(1)"));
    assert!(!inbox.body.contains("<script>alert"));
    let outbox = get(&app, "/outbox", "s1").await;
    assert!(
        outbox.body.contains("New message about order 1001"),
        "{}",
        outbox.body
    );
    assert!(outbox.body.contains(r#"sandbox="""#));
    assert!(!outbox.body.contains("<script>alert"));
}

#[tokio::test]
async fn a_refused_form_shows_the_addons_error_beside_it() {
    let app = admin(MultivendorMode::SeparateShops);
    let refused = post(&app, "/orders/o1/dispute/open", "s1", &[("reason", "  ")]).await;
    assert_eq!(refused.location.as_deref(), Some("/orders/o1"));
    let page = follow(&app, &refused, "s1").await;
    assert!(
        page.body
            .contains(r#"<span class="kind">invalid-input</span> reason:"#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<textarea class="invalid" id="reason""#),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(r#"class="badge dispute""#),
        "no dispute opened"
    );
    // Another user's page does not show Sam's message.
    let other = send(&app, "/orders/o1", "c1", refused.flash().as_deref(), None).await;
    assert!(!other.body.contains("invalid-input"));

    let opened = post(
        &app,
        "/orders/o1/dispute/open",
        "s1",
        &[("reason", "Late.")],
    )
    .await;
    let page = follow(&app, &opened, "s1").await;
    assert!(page.body.contains("Dispute #1 opened."));
    assert!(page.body.contains(r#"class="badge dispute""#));
    let closed = post(
        &app,
        "/orders/o1/dispute/close",
        "s1",
        &[("resolution", "")],
    )
    .await;
    let page = follow(&app, &closed, "s1").await;
    assert!(page.body.contains("Dispute #1 closed."), "{}", page.body);
    // Closing again: the addon's invalid-state.
    let again = post(
        &app,
        "/orders/o1/dispute/close",
        "s1",
        &[("resolution", "")],
    )
    .await;
    let page = follow(&app, &again, "s1").await;
    assert!(
        page.body
            .contains(r#"<span class="kind">invalid-state</span>"#),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn refusals_and_bad_requests_are_pages_with_their_status() {
    let app = admin(MultivendorMode::Warehouse);
    let vendor = get(&app, "/messages", "v1-anna").await;
    assert_eq!(vendor.status, StatusCode::FORBIDDEN);
    assert!(vendor.body.contains("Vendors take no part here"));
    assert!(
        vendor
            .body
            .contains(r#"<span class="kind">forbidden</span>"#)
    );
    assert_eq!(
        get(&app, "/orders", "v1-anna").await.status,
        StatusCode::FORBIDDEN
    );
    // A customer asking for another's order learns nothing about it.
    let other = get(&app, "/orders/o3", "c1").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains("1003"), "{}", other.body);
    assert_eq!(
        get(&app, "/orders/nope", "s1").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = get(&app, "/messages?filter=someday", "s1").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("unknown inbox filter"));
    assert_eq!(
        get(&app, "/orders?filter=x", "s1").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/nowhere", "s1").await.status,
        StatusCode::NOT_FOUND
    );
    // Staff carry on in warehouse mode.
    assert_eq!(get(&app, "/messages", "s1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_user_menu_switches_by_cookie_and_stays_on_the_server() {
    let app = admin(MultivendorMode::SeparateShops);
    let switched = post(&app, "/as", "s1", &[("user", "c2"), ("next", "/orders")]).await;
    assert_eq!(switched.location.as_deref(), Some("/orders"));
    assert!(switched.cookies.iter().any(|c| c.starts_with("om_as=c2;")));
    let offsite = post(
        &app,
        "/as",
        "s1",
        &[("user", "c2"), ("next", "//elsewhere.example/")],
    )
    .await;
    assert_eq!(offsite.location.as_deref(), Some("/"));
    let unknown = send(&app, "/as", "s1", None, Some(&[("user", "ghost")])).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    // Bob's list holds his order only.
    let bob = get(&app, "/orders", "c2").await;
    assert!(bob.body.contains(r#"data-order="o3""#));
    assert!(!bob.body.contains(r#"data-order="o1""#));
}

#[tokio::test]
async fn bulk_marking_and_the_filters() {
    let app = admin(MultivendorMode::SeparateShops);
    for (order, body) in [("o4", "Which edition?"), ("o5", "New address, please.")] {
        post(
            &app,
            &format!("/orders/{order}/messages"),
            "c3",
            &[("body", body)],
        )
        .await;
    }
    let unread = get(&app, "/messages?filter=unread", "s1").await;
    assert!(
        unread.body.contains(r#"data-order="o4""#) && unread.body.contains(r#"data-order="o5""#)
    );
    let marked = post(
        &app,
        "/messages/mark",
        "s1",
        &[
            ("order", "o4"),
            ("state", "read"),
            ("back", "/messages?filter=unread"),
        ],
    )
    .await;
    assert_eq!(marked.location.as_deref(), Some("/messages?filter=unread"));
    let page = follow(&app, &marked, "s1").await;
    assert!(page.body.contains("(1 changed)"), "{}", page.body);
    assert!(!page.body.contains(r#"data-order="o4""#));
    assert!(page.body.contains(r#"data-order="o5""#));

    let orders = get(&app, "/orders?filter=unread", "s1").await;
    assert!(
        orders.body.contains(r#"data-order="o5""#) && !orders.body.contains(r#"data-order="o4""#)
    );
    let orders = get(&app, "/orders?filter=messages", "s1").await;
    assert!(
        orders.body.contains(r#"data-order="o4""#) && !orders.body.contains(r#"data-order="o1""#)
    );

    let all = post(
        &app,
        "/messages/mark-all",
        "s1",
        &[("filter", "all"), ("q", ""), ("state", "read")],
    )
    .await;
    let page = follow(&app, &all, "s1").await;
    assert!(
        page.body
            .contains("Marked every matching thread read: 1 changed."),
        "{}",
        page.body
    );
    let none = post(&app, "/messages/mark", "s1", &[("state", "read")]).await;
    let page = follow(&app, &none, "s1").await;
    assert!(page.body.contains("Tick at least one thread first."));
    let bell = get(&app, "/messages", "s1").await;
    assert_eq!(bell_counts(&bell.body), (0, 0), "{}", bell.body);
}

#[tokio::test]
async fn other_sites_can_neither_post_nor_rebind() {
    let app = admin(MultivendorMode::SeparateShops);
    let request = |host: &str, origin: Option<&str>| {
        let mut request = Request::builder()
            .method("POST")
            .uri("/orders/o1/dispute/open")
            .header(header::HOST, host)
            .header(header::COOKIE, "om_as=s1")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.body(Body::from("reason=Forged")).unwrap()
    };
    let status = async |r: Request<Body>| app.router().oneshot(r).await.unwrap().status();
    let forged = request("127.0.0.1:8080", Some("http://evil.example"));
    assert_eq!(status(forged).await, StatusCode::FORBIDDEN);
    let rebound = request("evil.example:8080", Some("http://evil.example:8080"));
    assert_eq!(status(rebound).await, StatusCode::MISDIRECTED_REQUEST);
    let page = get(&app, "/orders/o1", "s1").await;
    assert!(!page.body.contains("Forged"), "a forged form went through");
    let own = request("127.0.0.1:8080", Some("http://127.0.0.1:8080"));
    assert_eq!(status(own).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_event_stream_starts_with_the_bell_and_follows_the_users_pushes() {
    let app = admin(MultivendorMode::SeparateShops);
    let request = Request::builder()
        .uri("/events")
        .header(header::COOKIE, "om_as=s1")
        .body(Body::empty())
        .unwrap();
    let response = app.router().oneshot(request).await.unwrap();
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    let mut stream = response.into_body().into_data_stream();
    let mut next = async || {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream goes on")
            .unwrap();
        String::from_utf8(chunk.to_vec()).unwrap()
    };
    let first = next().await;
    assert!(first.contains("event: counts-changed"), "{first}");
    assert!(first.contains(r#""unread_threads":0"#), "{first}");
    // Bob writes; Sam's stream says his bell changed. Pushes for others are not on it.
    post(
        &app,
        "/orders/o3/messages",
        "c2",
        &[("body", "Where is it?")],
    )
    .await;
    let update = next().await;
    assert!(update.contains("event: counts-changed"), "{update}");
    assert!(update.contains(r#""unread_threads":1"#), "{update}");
    app.close_streams();
}

#[tokio::test]
async fn redirects_go_only_to_clean_local_paths() {
    let app = admin(MultivendorMode::SeparateShops);
    // (the `next` of the user menu, where the switch goes)
    let table = [
        ("/orders", "/orders"),
        (
            "/messages?filter=unread&q=a+b",
            "/messages?filter=unread&q=a+b",
        ),
        ("/orders/o%201#m3", "/orders/o%201#m3"),
        // A literal `%09` is three characters of the path, not a tab.
        ("/%09/evil.example/", "/%09/evil.example/"),
        // A browser drops tabs and line breaks from a URL: `//evil.example/`, another origin.
        ("/\t/evil.example/", "/"),
        ("/\n/evil.example/", "/"),
        ("/\r\n/evil.example/", "/"),
        ("\t//evil.example/", "/"),
        // Backslashes read as slashes.
        ("/\\evil.example/", "/"),
        ("\\\\evil.example/", "/"),
        ("/x\\y", "/"),
        ("//evil.example/", "/"),
        ("///evil.example/", "/"),
        ("/orders//evil", "/"),
        // Leading or trailing spaces and control characters are stripped by browsers.
        (" //evil.example/", "/"),
        ("/ /evil.example/", "/"),
        ("/orders\u{7f}", "/"),
        ("/orders\u{85}", "/"),
        ("/\u{a0}/evil.example/", "/"),
        ("/\u{ff0f}evil.example/", "/"),
        ("/x\r\nSet-Cookie: om_as=s1", "/"),
        ("https://evil.example/", "/"),
        ("http:/evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("orders", "/"),
        ("", "/"),
    ];
    for (next, expected) in table {
        let reply = post(&app, "/as", "s1", &[("user", "c1"), ("next", next)]).await;
        assert_eq!(reply.location.as_deref(), Some(expected), "next = {next:?}");
    }
    // The mark forms' `back` goes through the same check.
    let marked = post(
        &app,
        "/messages/mark-all",
        "s1",
        &[
            ("filter", "all"),
            ("state", "read"),
            ("back", "/messages\t/x"),
        ],
    )
    .await;
    assert_eq!(marked.location.as_deref(), Some("/messages"));
}

#[tokio::test]
async fn without_a_known_user_the_admin_asks_who_you_are_and_shows_nothing() {
    let app = admin(MultivendorMode::SeparateShops);
    post(
        &app,
        "/orders/o1/messages",
        "c1",
        &[("body", "Where is it?")],
    )
    .await;
    // No cookie, an empty one, an unknown user, garbage.
    let cookies = [
        None,
        Some("om_as="),
        Some("om_as=ghost"),
        Some("om_as=%ZZ%00;;="),
    ];
    for cookie in cookies {
        let request = |path: &str, form: Option<&[(&str, &str)]>| {
            let mut request = Request::builder().uri(path);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            with_form(request, form)
        };
        for path in [
            "/messages",
            "/orders",
            "/orders/o1",
            "/orders/o1?tab=details",
            "/outbox",
        ] {
            let page = call(&app, request(path, None)).await;
            assert_eq!(page.status, StatusCode::OK, "{cookie:?} {path}");
            assert!(
                page.body.contains("<h1>Choose who you are</h1>"),
                "{cookie:?} {path}: {}",
                page.body
            );
            // Every user of the directory, each a button of the form that comes back here.
            assert!(
                page.body.contains(r#"<form method="post" action="/as">"#),
                "{}",
                page.body
            );
            let next = format!(r#"name="next" value="{}""#, path.replace('&', "&amp;"));
            assert!(page.body.contains(&next), "{}", page.body);
            for user in ["s1", "v1-anna", "v2-ben", "c1", "c2", "c3"] {
                assert!(
                    page.body
                        .contains(&format!(r#"name="user" value="{user}""#)),
                    "{user} missing: {}",
                    page.body
                );
            }
            // No one's data: no bell, no orders, no messages, no mail.
            for data in [
                "Acting as",
                r#"id="bell""#,
                "data-order",
                "Where is it?",
                "1001",
                "mails sent",
                "New message about",
            ] {
                assert!(
                    !page.body.contains(data),
                    "{cookie:?} {path} shows {data}: {}",
                    page.body
                );
            }
        }
        // Every form refuses and changes nothing.
        let forms: [(&str, &[(&str, &str)]); 6] = [
            ("/orders/o1/messages", &[("body", "Forged")]),
            ("/orders/o1/dispute/open", &[("reason", "Forged")]),
            ("/orders/o1/read-state", &[("state", "read")]),
            ("/messages/mark", &[("order", "o1"), ("state", "read")]),
            (
                "/messages/mark-all",
                &[("filter", "all"), ("state", "read")],
            ),
            ("/outbox/deliver", &[]),
        ];
        for (path, form) in forms {
            let refused = call(&app, request(path, Some(form))).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{cookie:?} {path}");
            assert!(
                refused.body.contains("Choose who you are"),
                "{}",
                refused.body
            );
            assert!(refused.flash().is_none());
        }
        let events = call(&app, request("/events", None)).await;
        assert_eq!(events.status, StatusCode::FORBIDDEN, "{cookie:?}");
    }
    // Nothing was marked read, for Sam either (the user the admin used to fall back to).
    let unread = get(&app, "/messages?filter=unread", "s1").await;
    assert!(
        unread.body.contains(r#"data-order="o1""#),
        "{}",
        unread.body
    );
    let sam = get(&app, "/orders/o1", "s1").await;
    assert!(sam.body.contains("1 message<"), "{}", sam.body);
    assert!(!sam.body.contains("Forged"));
    assert!(!sam.body.contains(r#"class="badge dispute""#));
}

#[tokio::test]
async fn every_response_refuses_framing_and_sniffing() {
    let app = admin(MultivendorMode::SeparateShops);
    let request = |method: &str, path: &str, headers: &[(&str, &str)]| {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).unwrap()
    };
    let sam: &[(&str, &str)] = &[("cookie", "om_as=s1")];
    let form = ("content-type", "application/x-www-form-urlencoded");
    let cases = [
        ("a page", request("GET", "/messages", sam)),
        ("a HEAD", request("HEAD", "/orders/o1", sam)),
        ("the chooser", request("GET", "/orders", &[])),
        ("a refusal page", request("GET", "/orders/nope", sam)),
        ("a bad request", request("GET", "/messages?filter=x", sam)),
        ("an unknown path", request("GET", "/nowhere", sam)),
        ("a wrong method", request("GET", "/as", sam)),
        ("the stylesheet", request("GET", "/assets/app.css", &[])),
        (
            "the stylesheet without script",
            request("GET", "/assets/nojs.css", &[]),
        ),
        ("the script", request("GET", "/assets/app.js", &[])),
        ("the event stream", request("GET", "/events", sam)),
        ("a redirect", request("GET", "/", sam)),
        ("a refused switch", request("POST", "/as", &[form])),
        ("a malformed form", request("POST", "/as", &[])),
        (
            "a forged form",
            request(
                "POST",
                "/outbox/deliver",
                &[
                    ("cookie", "om_as=s1"),
                    ("origin", "http://evil.example"),
                    form,
                ],
            ),
        ),
        (
            "a rebound host",
            request("GET", "/messages", &[("host", "evil.example")]),
        ),
    ];
    for (what, request) in cases {
        let response = app.router().oneshot(request).await.unwrap();
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let policy = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(
                policy.split(';').any(|d| d.trim() == directive),
                "{what} ({}): `{directive}` missing from {policy:?}",
                response.status()
            );
        }
        assert!(!policy.contains("unsafe"), "{what}: {policy}");
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("referrer-policy"), "same-origin", "{what}");
    }
    app.close_streams();
}

#[tokio::test]
async fn a_form_from_another_site_is_refused_whichever_header_tells() {
    let app = admin(MultivendorMode::SeparateShops);
    let own = "http://127.0.0.1:8080";
    // (what the browser said, accepted)
    let table: &[(&[(&str, &str)], bool)] = &[
        (&[("origin", own)], true),
        (&[("origin", "https://127.0.0.1:8080")], true),
        (&[("origin", "http://evil.example")], false),
        (&[("origin", "http://127.0.0.1:9999")], false),
        (&[("origin", "null")], false),
        (&[("origin", "")], false),
        (&[("origin", own), ("sec-fetch-site", "cross-site")], false),
        (
            &[("origin", own), ("referer", "http://evil.example/")],
            false,
        ),
        (&[("sec-fetch-site", "same-origin")], true),
        (&[("sec-fetch-site", "none")], true),
        (&[("sec-fetch-site", "cross-site")], false),
        (&[("sec-fetch-site", "same-site")], false),
        (&[("sec-fetch-site", "what")], false),
        (
            &[
                ("sec-fetch-site", "cross-site"),
                ("referer", "http://127.0.0.1:8080/orders/o1"),
            ],
            false,
        ),
        (&[("referer", "http://127.0.0.1:8080/orders/o1")], true),
        (&[("referer", "http://127.0.0.1:8080")], true),
        (&[("referer", "http://evil.example/orders/o1")], false),
        (&[("referer", "http://127.0.0.1:8080@evil.example/")], false),
        (&[("referer", "http://127.0.0.1:80801/")], false),
        (&[("referer", "http://127.0.0.1:9999/")], false),
        (&[("referer", "/orders/o1")], false),
        // None of the three: not a browser (curl, a script), accepted (see `same_site_only`).
        (&[], true),
    ];
    for (i, (headers, accepted)) in table.iter().enumerate() {
        let mut request = Request::builder()
            .method("POST")
            .uri("/orders/o1/messages")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, "om_as=s1")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in *headers {
            request = request.header(*name, *value);
        }
        let body = format!("body=case-{i}-end");
        let reply = call(&app, request.body(Body::from(body)).unwrap()).await;
        let expected = if *accepted {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(reply.status, expected, "{headers:?}: {}", reply.body);
    }
    let thread = get(&app, "/orders/o1", "s1").await;
    for (i, (headers, accepted)) in table.iter().enumerate() {
        assert_eq!(
            thread.body.contains(&format!("case-{i}-end")),
            *accepted,
            "{headers:?}"
        );
    }
}

#[tokio::test]
async fn only_opening_a_thread_in_the_admin_marks_it_read() {
    let app = admin(MultivendorMode::SeparateShops);
    post(
        &app,
        "/orders/o3/messages",
        "c2",
        &[("body", "Where is it?")],
    )
    .await;
    let unread_for_sam = async || {
        let list = get(&app, "/messages?filter=unread", "s1").await;
        list.body.contains(r#"data-order="o3""#)
    };
    assert!(unread_for_sam().await);
    // A refused form leaves Sam a one-time message; what does not mark read keeps it too.
    let refused = post(&app, "/orders/o3/dispute/open", "s1", &[("reason", "")]).await;
    let flash = refused.flash().expect("a one-time message");
    let visit = |method: &str, headers: &[(&str, &str)]| {
        let mut request = Request::builder()
            .method(method)
            .uri("/orders/o3")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, format!("om_as=s1; om_flash={flash}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).unwrap()
    };
    let changes_nothing: [(&str, &[(&str, &str)]); 6] = [
        ("HEAD", &[]),
        ("HEAD", &[("sec-fetch-site", "same-origin")]),
        ("GET", &[("sec-fetch-site", "cross-site")]),
        // A page on another port of this host: same site, so the cookie comes along.
        ("GET", &[("sec-fetch-site", "same-site")]),
        ("GET", &[("referer", "http://127.0.0.1:9999/")]),
        ("GET", &[("origin", "http://evil.example")]),
    ];
    for (method, headers) in changes_nothing {
        let reply = call(&app, visit(method, headers)).await;
        assert_eq!(reply.status, StatusCode::OK, "{method} {headers:?}");
        assert!(
            !reply.cookies.iter().any(|c| c.starts_with("om_flash=")),
            "{method} {headers:?} used up the one-time message"
        );
        assert!(
            unread_for_sam().await,
            "{method} {headers:?} marked it read"
        );
    }
    // Sam opens it in the admin: read, and the one-time message shown (and cleared).
    let opened = call(&app, visit("GET", &[("sec-fetch-site", "same-origin")])).await;
    assert!(opened.body.contains("invalid-input"), "{}", opened.body);
    assert!(opened.cookies.iter().any(|c| c.starts_with("om_flash=;")));
    assert!(!unread_for_sam().await);
}

#[tokio::test]
async fn a_refused_form_keeps_a_bounded_notice() {
    let app = admin(MultivendorMode::SeparateShops);
    // Over the addon's 100,000-character limit for a message: refused, and echoed back.
    let typed = "x".repeat(1_000_000);
    let posts = 8;
    let mut refused = Vec::new();
    for _ in 0..posts {
        refused.push(post(&app, "/orders/o1/messages", "c1", &[("body", &typed)]).await);
    }
    let kept = app.kept_flash_bytes();
    assert!(
        kept <= posts * FLASH_MAX_BYTES,
        "{posts} notices keep {kept} bytes"
    );
    // The notice still says why, and gives back the start of what was typed.
    let page = follow(&app, &refused[0], "c1").await;
    assert!(
        page.body
            .contains(r#"<span class="kind">invalid-input</span> body:"#),
        "{}",
        &page.body[..2000.min(page.body.len())]
    );
    assert!(page.body.contains("only its start is kept"));
    let echoed = page
        .body
        .split_once(r#"id="reply-body""#)
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</textarea>"))
        .map(|(echoed, _)| echoed)
        .expect("the reply box");
    assert!(echoed.len() > 1000 && echoed.len() <= FLASH_MAX_BYTES);
    assert!(echoed.bytes().all(|b| b == b'x'), "only what was typed");
    assert!(app.kept_flash_bytes() < kept, "a notice shown is let go");
}

#[tokio::test]
async fn the_outbox_is_for_staff_only() {
    let app = admin(MultivendorMode::SeparateShops);
    post(
        &app,
        "/orders/o1/messages",
        "c1",
        &[("body", "Where is it?")],
    )
    .await;
    let staff = get(&app, "/outbox", "s1").await;
    assert_eq!(staff.status, StatusCode::OK);
    assert!(staff.body.contains("New message about order 1001"));
    assert!(staff.body.contains(r#"action="/outbox/deliver""#));
    assert!(staff.body.contains(r#"href="/outbox""#), "the nav link");
    let delivered = post(&app, "/outbox/deliver", "s1", &[]).await;
    assert_eq!(delivered.location.as_deref(), Some("/outbox"));

    for user in ["c1", "v1-anna", "v2-ben"] {
        let page = get(&app, "/outbox", user).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        assert!(
            page.body.contains("<h1>Staff only</h1>"),
            "{user}: {}",
            page.body
        );
        assert!(
            page.body
                .contains(r#"<span class="kind">staff-only</span>"#)
        );
        let deliver = send(&app, "/outbox/deliver", user, None, Some(&[])).await;
        assert_eq!(deliver.status, StatusCode::FORBIDDEN, "{user}");
        assert!(deliver.body.contains("<h1>Staff only</h1>"));
        assert!(deliver.flash().is_none(), "{user}: a form went through");
        let messages = get(&app, "/messages", user).await;
        for reply in [page, deliver, messages] {
            for data in [
                "New message about",
                "mails sent",
                "notifications pushed",
                "/outbox/deliver",
                r#"href="/outbox""#,
            ] {
                assert!(
                    !reply.body.contains(data),
                    "{user} sees {data}: {}",
                    reply.body
                );
            }
        }
    }
}

/// The text of the element whose start tag holds `marker`, up to its end tag `</tag>` (no
/// nesting of the same tag inside).
fn element<'b>(body: &'b str, marker: &str, tag: &str) -> &'b str {
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {body}"));
    let start = body[..at].rfind(&format!("<{tag}")).unwrap();
    let end = at + body[at..].find(&format!("</{tag}>")).unwrap() + tag.len() + 3;
    &body[start..end]
}

/// The bell's (messages, disputes) counts as the page draws them.
fn bell_counts(body: &str) -> (u32, u32) {
    let count = |id: &str| -> u32 {
        let span = element(body, &format!(r#"id="{id}""#), "span");
        let text = &span[span.find('>').unwrap() + 1..span.len() - "</span>".len()];
        text.parse().unwrap()
    };
    (count("bell-messages"), count("bell-disputes"))
}

/// Every `href` in `html`, unescaped.
fn hrefs(html: &str) -> Vec<String> {
    html.split(r#" href=""#)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
        .collect()
}

/// The order ids of a list's rows, top to bottom.
fn row_ids(body: &str) -> Vec<String> {
    body.split(r#"data-order=""#)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn the_bell_is_a_button_opening_a_menu_of_links_that_works_without_script() {
    let app = admin(MultivendorMode::SeparateShops);
    post(&app, "/orders/o3/messages", "c2", &[("body", "Lost?")]).await;
    post(
        &app,
        "/orders/o3/dispute/open",
        "c2",
        &[("reason", "Never came")],
    )
    .await;
    let page = get(&app, "/orders", "s1").await;
    assert_eq!(bell_counts(&page.body), (1, 1), "{}", page.body);
    let bell = element(&page.body, r#"id="bell""#, "header");
    // A button (not a link) that says whether its menu is open, and which menu it opens.
    let button = element(bell, r#"id="bell-button""#, "button");
    for attribute in [
        r#"type="button""#,
        r#"aria-expanded="false""#,
        r#"aria-controls="bell-menu""#,
    ] {
        assert!(button.contains(attribute), "{attribute}: {button}");
    }
    assert!(!button.contains("href="), "{button}");
    // The menu, closed until the button opens it: a link to the new messages, one to the
    // open disputes, each with its count.
    let menu = &bell[bell.find(r#"id="bell-menu""#).unwrap()..];
    let menu_tag = &bell[bell[..bell.find(r#"id="bell-menu""#).unwrap()]
        .rfind('<')
        .unwrap()..];
    assert!(
        menu_tag[..menu_tag.find('>').unwrap()].contains("hidden"),
        "{menu_tag}"
    );
    assert_eq!(
        hrefs(menu),
        ["/messages?filter=unread", "/messages?filter=disputes"]
    );
    assert!(menu.contains("New messages") && menu.contains("Open disputes"));
    // Without script the button could not open it: a stylesheet for that case only shows the
    // links instead. Served like every asset: this server's, with the same headers.
    assert!(
        page.body
            .contains(r#"<noscript><link rel="stylesheet" href="/assets/nojs.css"></noscript>"#),
        "{}",
        page.body
    );
    let css = get(&app, "/assets/nojs.css", "s1").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains("#bell-menu[hidden]"), "{}", css.body);
    // Still no inline script: the only script is the server's file.
    assert_eq!(page.body.matches("<script").count(), 1);
    assert!(page.body.contains(r#"<script src="/assets/app.js" defer>"#));
}

#[tokio::test]
async fn a_thread_row_names_its_conversation_and_keeps_its_box_and_links() {
    let app = admin(MultivendorMode::SeparateShops);
    post(&app, "/orders/o3/messages", "c2", &[("body", "Lost?")]).await;
    let page = get(&app, "/messages", "s1").await;
    let row = element(&page.body, r#"data-order="o3""#, "tr");
    assert!(row.contains(r#"data-href="/orders/o3""#), "{row}");
    // Real links stay links (keyboard, middle click), the box stays a form field.
    assert_eq!(hrefs(row), ["/orders/o3", "/orders/o3"]);
    let tick = element(row, r#"class="tick""#, "label");
    assert!(
        tick.contains(r#"<input type="checkbox" name="order" value="o3""#),
        "{tick}"
    );
    // The notice the script shows when the list may be out of date: hidden, reloading this
    // very page.
    let stale = element(&page.body, r#"id="list-stale""#, "div");
    assert!(stale.contains("hidden"), "{stale}");
    assert_eq!(hrefs(stale), ["/messages"]);
}

#[tokio::test]
async fn paging_goes_forward_and_back_with_the_earlier_pages_in_the_address() {
    let app = admin(MultivendorMode::SeparateShops);
    for (user, order) in [
        ("c1", "o1"),
        ("c1", "o2"),
        ("c2", "o3"),
        ("c3", "o4"),
        ("c3", "o5"),
    ] {
        post(
            &app,
            &format!("/orders/{order}/messages"),
            user,
            &[("body", "Hello")],
        )
        .await;
    }
    let pager = |body: &str| element(body, r#"aria-label="Pages""#, "nav").to_owned();
    let link = |pager: &str, class: &str| -> Option<String> {
        pager
            .split("<a ")
            .skip(1)
            .find(|a| a.starts_with(&format!(r#"class="{class}""#)))
            .map(|a| hrefs(a)[0].clone())
    };

    let first = get(&app, "/messages?limit=2", "s1").await;
    assert!(first.body.contains(">5 threads<"), "{}", first.body);
    assert_eq!(row_ids(&first.body), ["o5", "o4"]);
    let p1 = pager(&first.body);
    assert!(p1.contains("Page 1 · threads 1–2 of 5"), "{p1}");
    assert_eq!(link(&p1, "prev"), None);
    assert_eq!(link(&p1, "first"), None);
    let to_second = link(&p1, "next").expect("a next page");
    assert!(to_second.ends_with("&prev="), "{to_second}");

    let second = get(&app, &to_second, "s1").await;
    assert_eq!(row_ids(&second.body), ["o3", "o2"]);
    let p2 = pager(&second.body);
    assert!(p2.contains("Page 2 · threads 3–4 of 5"), "{p2}");
    assert_eq!(link(&p2, "prev").as_deref(), Some("/messages?limit=2"));
    assert_eq!(link(&p2, "first"), None, "the previous page is the first");
    let to_third = link(&p2, "next").expect("a third page");

    let third = get(&app, &to_third, "s1").await;
    assert_eq!(row_ids(&third.body), ["o1"]);
    let p3 = pager(&third.body);
    assert!(p3.contains("Page 3 · threads 5–5 of 5"), "{p3}");
    assert_eq!(link(&p3, "next"), None);
    assert_eq!(link(&p3, "first").as_deref(), Some("/messages?limit=2"));
    // Previous is the second page's very address: the same rows again.
    assert_eq!(link(&p3, "prev").as_deref(), Some(to_second.as_str()));
    let back = get(&app, &link(&p3, "prev").unwrap(), "s1").await;
    assert_eq!(row_ids(&back.body), ["o3", "o2"]);
    // Ticking on page 3 comes back to page 3.
    let form = element(&third.body, r#"id="threads""#, "form");
    assert!(
        form.contains(&format!(
            r#"name="back" value="{}""#,
            to_third.replace('&', "&amp;")
        )),
        "{form}"
    );

    // The count follows the filter; a refused or empty list counts none.
    let unread = get(&app, "/messages?filter=unread", "c1").await;
    assert!(unread.body.contains(">0 threads<"), "{}", unread.body);
    let one = get(&app, "/messages", "c2").await;
    assert!(one.body.contains(">1 thread<"), "{}", one.body);
}

#[tokio::test]
async fn a_count_is_bounded_in_rows_and_calls() {
    use order_messages_app::ops::{ThreadCount, count_threads};
    use order_messages_host::types::Query;
    let app = admin(MultivendorMode::SeparateShops);
    for (user, order) in [("c1", "o1"), ("c1", "o2"), ("c2", "o3"), ("c3", "o4")] {
        post(
            &app,
            &format!("/orders/{order}/messages"),
            user,
            &[("body", "Hello")],
        )
        .await;
    }
    let sam = app.inner().directory().actor("s1").unwrap();
    let counts = app
        .blocking(move |cx| {
            let mut count = |most, calls, cap| {
                count_threads(cx.session, &sam, &Query::all(), most, calls, cap).unwrap()
            };
            [
                count(1_000, 20, 100),
                count(4, 20, 100),
                count(3, 20, 100),
                count(1_000, 1, 3),
                count(1_000, 2, 1),
                count(1_000, 3, 2),
            ]
        })
        .await
        .unwrap();
    assert_eq!(
        counts,
        [
            ThreadCount::Exact(4),
            ThreadCount::Exact(4),
            ThreadCount::MoreThan(3),
            ThreadCount::AtLeast(3),
            // Two calls of one row: the list goes on.
            ThreadCount::AtLeast(2),
            ThreadCount::Exact(4),
        ]
    );
}
