//! The Zalo sender's pause in the admin console, on both backends: a banner on every page while
//! paused, a resume button for admins only, and the resume audited.

use crate::common::TestDb;
use crate::common::server::Harness;
use crate::zalo_flow::start_on;

use sipas_bot::core::clock::Clock;
use sipas_bot::services::admin::auth;
use sipas_bot::storage::{Role, User, ZaloPause};

/// A console client that keeps its cookies and does not follow redirects.
struct Client {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: Vec::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = request
            .header("cookie", cookie.join("; "))
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let (pair, _) = value.to_str().unwrap().split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            self.cookies.push((name.to_string(), value.to_string()));
        }
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let request = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(request).await
    }

    fn csrf(body: &str) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = body.find(marker).expect("a form with a CSRF token") + marker.len();
        body[at..at + 64].to_string()
    }

    async fn sign_in(&mut self, login: &str) {
        let (_, form) = self.get("/admin/login").await;
        let csrf = Client::csrf(&form);
        let password = format!("{login}-mật-khẩu");
        let (status, _) = self
            .post(
                "/admin/login",
                &[("csrf", &csrf), ("login", login), ("password", &password)],
            )
            .await;
        assert_eq!(status, 303, "{login} signs in");
    }
}

async fn add_user(h: &Harness, login: &str, role: Role) {
    let user = User {
        login: login.into(),
        role,
        agency_code: None,
        password_hash: auth::hash_password(&format!("{login}-mật-khẩu")),
        failed_attempts: 0,
        locked_until: None,
    };
    assert!(
        h.db.create_user(&user, "test", h.clock.now())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_paused_zalo_sender_shows_a_banner_and_an_admin_resumes_it() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, _fake) = start_on(test_db).await;
        add_user(&h, "admin", Role::Admin).await;
        add_user(&h, "viewer", Role::Viewer).await;
        let mut admin = Client::new(&h.base);
        admin.sign_in("admin").await;
        let (_, page) = admin.get("/admin/flows").await;
        assert!(!page.contains("zalo_paused"), "{name}");

        let pause = ZaloPause {
            host: "oa".into(),
            code: -224,
            reason: "OA tier too low".into(),
            paused_at: h.clock.now(),
        };
        assert!(
            h.db.pause_zalo(crate::common::fake_zalo::OA_ID, &pause)
                .await
                .unwrap()
        );
        let (_, page) = admin.get("/admin/flows").await;
        assert!(
            page.contains("zalo_paused") && page.contains("-224"),
            "{name}: {page}"
        );
        assert!(page.contains("/admin/zalo/resume"), "{name}");

        // A viewer sees the banner but no button, and cannot resume.
        let mut viewer = Client::new(&h.base);
        viewer.sign_in("viewer").await;
        let (_, page) = viewer.get("/admin/flows").await;
        assert!(page.contains("zalo_paused"), "{name}");
        assert!(!page.contains("/admin/zalo/resume"), "{name}");
        let csrf = Client::csrf(&page);
        let (status, _) = viewer.post("/admin/zalo/resume", &[("csrf", &csrf)]).await;
        assert_eq!(status, 403, "{name}");
        assert!(h.db.any_zalo_pause().await.unwrap().is_some(), "{name}");

        let (_, page) = admin.get("/admin/flows").await;
        let csrf = Client::csrf(&page);
        let (status, _) = admin.post("/admin/zalo/resume", &[("csrf", &csrf)]).await;
        assert_eq!(status, 303, "{name}");
        assert_eq!(h.db.any_zalo_pause().await.unwrap(), None, "{name}");
        let (_, page) = admin.get("/admin/flows").await;
        assert!(!page.contains("zalo_paused"), "{name}");
        let audit = h.db.audit_log(10).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "zalo_resume" && e.actor == "admin"),
            "{name}: {audit:?}"
        );
        h.finish().await;
    }
}
