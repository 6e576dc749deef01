//! `GET /events`: the acting user's server-sent events, fed by the host's notification import.
//!
//! - `counts-changed` (data `{"unread_threads": N, "open_disputes": M}`): first the current
//!   bell, then every `counts-changed` notification the addon pushes to the user. The page's
//!   script puts the numbers in the bell.
//! - `notice` (data `{"text": "…"}`): a new message or a dispute opened or closed, for the
//!   user; the page shows it briefly.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::app::{Acting, WebApp};
use order_messages_app::ops::accepted;
use order_messages_app::report;
use order_messages_app::views::BellView;
use order_messages_host::types::{Actor, BellCounts, Event};
use order_messages_platform::Push;

/// `GET /events`: the stream, or 403 without an acting user.
pub(crate) async fn events(State(app): State<WebApp>, acting: Acting) -> Response {
    let Some(actor) = acting.actor else {
        let text = "no acting user: choose who you are first";
        return (StatusCode::FORBIDDEN, text).into_response();
    };
    stream_for(&app, actor).await.into_response()
}

async fn stream_for(
    app: &WebApp,
    actor: Actor,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<>> {
    // Subscribe before reading the bell, so no change falls between the two.
    let feed = app.inner().events.subscribe();
    let mut closing = app.inner().closing.subscribe();
    let user = actor.id.clone();
    let initial = app
        .blocking(move |cx| accepted(cx.session.bell(&actor)).ok())
        .await
        .ok()
        .flatten();
    let first = stream::iter(initial.map(|c| Ok(counts_event(&c))));
    let updates = stream::unfold((feed, user), |(mut feed, user)| async move {
        loop {
            match feed.recv().await {
                Ok(push) => {
                    if let Some(event) = event_for(&push, &user) {
                        return Some((Ok(event), (feed, user)));
                    }
                }
                // Missed some: the next change brings the bell up to date again.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let until_closing = async move {
        let _ = closing.wait_for(|closed| *closed).await;
    };
    Sse::new(first.chain(updates).take_until(until_closing)).keep_alive(KeepAlive::default())
}

/// The event `push` makes on `user`'s stream, if it is for them.
fn event_for(push: &Arc<Push>, user: &str) -> Option<SseEvent> {
    if !push.recipients.iter().any(|r| r == user) {
        return None;
    }
    Some(match &push.event {
        // One push carries many users' counts: this user's are theirs.
        Event::CountsChanged(all) => counts_event(&all.iter().find(|c| c.user == user)?.counts),
        other => SseEvent::default()
            .event("notice")
            .data(serde_json::json!({ "text": report::event(other) }).to_string()),
    })
}

fn counts_event(counts: &BellCounts) -> SseEvent {
    let data = serde_json::to_string(&BellView::from(counts)).unwrap_or_default();
    SseEvent::default().event("counts-changed").data(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use order_messages_host::types::UserCounts;

    #[test]
    fn only_the_recipients_get_an_event() {
        let push = Arc::new(Push {
            key: "k".into(),
            recipients: vec!["s1".into()],
            event: Event::CountsChanged(vec![UserCounts {
                user: "s1".into(),
                counts: BellCounts {
                    unread_threads: 2,
                    open_disputes: 1,
                },
            }]),
        });
        assert!(event_for(&push, "s2").is_none());
        assert!(event_for(&push, "s1").is_some());
    }
}
