//! The Zalo sender's pause in the console: a banner on every page while it is paused (why, since
//! when) and, for admins, a button that resumes it (`POST /admin/zalo/resume`, audited). The
//! banner's state is read from the database before each console request (a one-row table), so
//! a pause or a resume made by any instance or by `sipas-bot zalo resume` shows at once.

use super::{Console, NoFields, Posted, csrf_field};
use crate::channels::zalo::pause;
use crate::storage::ZaloPause;
use crate::web::error::HttpError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Redirect, Response};
use maud::{Markup, html};
use std::sync::{Arc, RwLock};

/// The pause as the console last read it.
#[derive(Debug, Clone, Default)]
pub struct ZaloBanner(Arc<RwLock<Option<ZaloPause>>>);

impl ZaloBanner {
    pub fn get(&self) -> Option<ZaloPause> {
        self.0.read().map(|pause| pause.clone()).unwrap_or_default()
    }

    fn set(&self, pause: Option<ZaloPause>) {
        if let Ok(mut slot) = self.0.write() {
            *slot = pause;
        }
    }
}

/// Reads the pause before each console request.
pub async fn refresh(State(console): State<Console>, request: Request, next: Next) -> Response {
    match console.db.any_zalo_pause().await {
        Ok(pause) => console.zalo_banner.set(pause),
        Err(err) => tracing::warn!(%err, "console: cannot read the Zalo pause"),
    }
    next.run(request).await
}

/// The banner, with the resume button for an admin.
pub fn banner(console: &Console, csrf: Option<&str>, admin: bool) -> Markup {
    let Some(pause) = console.zalo_banner.get() else {
        return html! {};
    };
    let since = pause
        .paused_at
        .with_timezone(&crate::core::clock::vietnam())
        .format("%d/%m/%Y %H:%M")
        .to_string();
    html! {
        div class="banner error" id="zalo_paused" role="alert" {
            p { (console.t("admin-zalo-paused", &[
                ("host", pause.host.clone()),
                ("code", pause.code.to_string()),
                ("reason", pause.reason.clone()),
                ("since", since),
            ])) }
            @if let (true, Some(csrf)) = (admin, csrf) {
                form method="post" action="/admin/zalo/resume" class="inline" {
                    (csrf_field(csrf))
                    button { (console.text("admin-zalo-resume")) }
                }
            } @else {
                p { (console.text("admin-zalo-resume-hint")) }
            }
        }
    }
}

/// `POST /admin/zalo/resume`: an admin resumes the Zalo sender; its waiting messages go at the
/// worker's next pass.
pub async fn resume(
    State(console): State<Console>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Redirect, HttpError> {
    signed.admin_only()?;
    let now = console.clock.now();
    let lifted = pause::resume(&console.db, now).await?;
    if let Some(lifted) = lifted {
        let before = format!("{} {} {}", lifted.host, lifted.code, lifted.reason);
        console
            .db
            .record_audit(
                &signed.user.login,
                "zalo_resume",
                "zalo",
                Some(&before),
                None,
                now,
            )
            .await?;
    }
    console.zalo_banner.set(None);
    Ok(Redirect::to("/admin/flows"))
}
