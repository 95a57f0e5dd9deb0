//! The admin console over real HTTP: sign-in, CSRF, roles, the flow lifecycle, imports, audit;
//! and the admin commands of the binary.

use crate::common;

use chrono::{Duration, TimeZone};
use common::server::Harness;
use sipas_bot::core::clock::Clock;
use sipas_bot::core::flow::Lang;
use sipas_bot::core::survey::Input;
use sipas_bot::services::admin::auth;
use sipas_bot::services::conversation::Conversations;
use sipas_bot::storage::{Agency, AgencyLevel, Role, User};
use std::collections::HashMap;

/// A browser-like client: keeps cookies, does not follow redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            assert!(
                text.contains("HttpOnly") && text.contains("SameSite=Strict"),
                "{text}"
            );
            let (pair, _) = text.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string()),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    /// The CSRF token of the last page's forms.
    fn csrf(page: &Page) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = page.body.find(marker).expect("a form with a CSRF token") + marker.len();
        page.body[at..at + 64].to_string()
    }

    async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let form = self.get("/admin/login").await;
        let csrf = Browser::csrf(&form);
        self.post(
            "/admin/login",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
        .await
    }
}

async fn add_user(harness: &Harness, login: &str, role: Role, agency: Option<&str>) {
    let user = User {
        login: login.into(),
        role,
        agency_code: agency.map(str::to_string),
        password_hash: auth::hash_password(&format!("{login}-mật-khẩu")),
        failed_attempts: 0,
        locked_until: None,
    };
    assert!(
        harness
            .db
            .create_user(&user, "test", harness.clock.now())
            .await
            .unwrap()
    );
}

async fn seed(harness: &Harness) {
    for (code, name, parent, level) in [
        ("T14", "UBND tỉnh Sơn La", None, AgencyLevel::Tinh),
        (
            "T14.H01",
            "UBND thành phố Sơn La",
            Some("T14"),
            AgencyLevel::Huyen,
        ),
        (
            "T14.H02",
            "UBND huyện Mộc Châu",
            Some("T14"),
            AgencyLevel::Huyen,
        ),
    ] {
        let agency = Agency {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(str::to_string),
            level,
        };
        harness
            .db
            .upsert_agency(&agency, harness.clock.now())
            .await
            .unwrap();
    }
    add_user(harness, "admin", Role::Admin, None).await;
    add_user(harness, "viewer", Role::Viewer, None).await;
    add_user(harness, "mocchau", Role::Manager, Some("T14.H02")).await;
}

/// The id of the version row `flow vN` on the flows page.
/// The version of a shipped flow that start-up stores; a console draft of it takes the next.
fn shipped(flow: &str) -> i64 {
    sipas_bot::core::flow::builtin()
        .into_iter()
        .find(|f| f.id == flow)
        .unwrap()
        .version
}

fn version_link(page: &Page, flow: &str, version: i64) -> i64 {
    let marker = format!("data-flow=\"{flow}\" data-version=\"{version}\">");
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {flow} v{version} in {}", page.body));
    let rest = &page.body[at..];
    let link = rest.find("href=\"/admin/flows/").unwrap() + 19;
    rest[link..].split('"').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn sign_in_needs_the_right_password_a_form_token_and_stops_after_five_failures() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut browser = Browser::new(&harness.base);
    let page = browser.get("/admin/flows").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/admin/login"))
    );

    let no_token = browser
        .post(
            "/admin/login",
            &[("login", "admin"), ("password", "admin-mật-khẩu")],
        )
        .await;
    assert_eq!(no_token.status, 403);
    let wrong = browser.sign_in("admin", "sai").await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
    );
    let unknown = browser.sign_in("nobody", "sai").await;
    assert_eq!(
        (unknown.status, unknown.body.contains("không đúng")),
        (401, true)
    );
    for _ in 0..4 {
        browser.sign_in("admin", "sai").await;
    }
    let locked = browser.sign_in("admin", "admin-mật-khẩu").await;
    assert_eq!(locked.status, 401);
    assert!(locked.body.contains("tạm khóa"), "{}", locked.body);
    harness.clock.advance(Duration::minutes(16));
    let signed = browser.sign_in("admin", "admin-mật-khẩu").await;
    assert_eq!(
        (signed.status, signed.location.as_deref()),
        (303, Some("/admin/flows"))
    );
    let flows = browser.get("/admin/flows").await;
    assert_eq!(flows.status, 200);
    assert!(flows.body.contains("sipas-short") && flows.body.contains("đang dùng"));

    // A form posted without the session's token is refused.
    let forged = browser
        .post(
            "/admin/assignments",
            &[("agency", "*"), ("flow", "sipas-full")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let csrf = Browser::csrf(&flows);
    let out = browser.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(browser.get("/admin/flows").await.status, 303, "signed out");
    harness.finish().await;
}

#[tokio::test]
async fn a_published_change_applies_to_new_invitations_while_surveys_in_progress_keep_theirs() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let conversations = Conversations::new(harness.db.clone());
    // A citizen starts on the shipped version before the change.
    let old_token = harness.notice("HS-OLD", None).await;
    let opened = conversations
        .open(&old_token, "test", "c1", Lang::Vi, harness.clock.now())
        .await
        .unwrap();
    let session = conversations
        .input(
            &opened.session,
            &Input::Text("5".into()),
            harness.clock.now(),
        )
        .await
        .unwrap()
        .session;

    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let flows = admin.get("/admin/flows").await;
    let shipped_id = version_link(&flows, "sipas-short", shipped("sipas-short"));
    let csrf = Browser::csrf(&flows);
    let draft = admin
        .post(
            &format!("/admin/flows/{shipped_id}/draft"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(draft.status, 303);
    let draft_path = draft.location.unwrap();
    let edited = admin
        .post(
            &format!("{draft_path}/questions/access"),
            &[
                ("csrf", &csrf),
                ("vi", "Ông/Bà thấy nơi làm thủ tục có thuận tiện không?"),
                ("en", ""),
            ],
        )
        .await;
    assert_eq!(edited.status, 303);
    let too_early = admin
        .post(&format!("{draft_path}/publish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(too_early.status, 403, "validate first");
    let validated = admin
        .post(&format!("{draft_path}/validate"), &[("csrf", &csrf)])
        .await;
    assert!(
        validated.body.contains("id=\"valid\""),
        "{}",
        validated.body
    );
    let published = admin
        .post(&format!("{draft_path}/publish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(published.status, 303);
    let flows = admin.get("/admin/flows").await;
    let published_id = version_link(&flows, "sipas-short", shipped("sipas-short") + 1);
    let next = shipped("sipas-short") + 1;
    assert!(flows.body.contains(&format!(
        "data-version=\"{next}\"><td>sipas-short</td><td>v{next}</td>"
    )));
    let preview = admin
        .get(&format!("/admin/flows/{published_id}/preview"))
        .await;
    assert!(
        preview
            .body
            .contains("Ông/Bà thấy nơi làm thủ tục có thuận tiện không?")
    );
    assert!(
        preview
            .body
            .contains("<span class=\"btn\">Rất hài lòng</span>")
    );
    let diff = admin
        .get(&format!("/admin/flows/{published_id}/diff"))
        .await;
    assert!(
        diff.body
            .contains("<ins>Ông/Bà thấy nơi làm thủ tục có thuận tiện không?</ins>"),
        "{}",
        diff.body
    );
    // A published version cannot be edited.
    let frozen = admin
        .post(
            &format!("/admin/flows/{published_id}/questions/access"),
            &[("csrf", &csrf), ("vi", "Sửa lén?")],
        )
        .await;
    assert_eq!(frozen.status, 403);

    // New invitations use the published version; the survey in progress finishes on the
    // shipped one.
    let new_token = harness.notice("HS-NEW", None).await;
    assert_eq!(
        harness
            .db
            .invitation(&new_token)
            .await
            .unwrap()
            .unwrap()
            .flow_version_id,
        published_id
    );
    let mut session = session;
    for answer in ["4", "3", "4", "không", "5", "bỏ qua"] {
        session = conversations
            .input(&session, &Input::Text(answer.into()), harness.clock.now())
            .await
            .unwrap()
            .session;
    }
    assert!(session.state.finished);
    assert_eq!(session.flow_version_id, shipped_id);
    let new_session = conversations
        .open(&new_token, "test", "c2", Lang::Vi, harness.clock.now())
        .await
        .unwrap()
        .session;
    let mut new_session = new_session;
    for answer in ["5", "4", "3", "4", "không", "5", "bỏ qua"] {
        new_session = conversations
            .input(
                &new_session,
                &Input::Text(answer.into()),
                harness.clock.now(),
            )
            .await
            .unwrap()
            .session;
    }
    let versions: Vec<i64> = harness
        .db
        .export_rows()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.question_id == "access")
        .map(|r| r.flow_version)
        .collect();
    assert_eq!(
        versions,
        [next - 1, next],
        "each answer keeps the version it answered"
    );

    // Rollback puts the shipped version back in force for the next invitation.
    let shipped_page = admin.get(&format!("/admin/flows/{shipped_id}")).await;
    assert!(
        shipped_page
            .body
            .contains(&format!("action=\"/admin/flows/{shipped_id}/rollback\""))
    );
    assert_eq!(
        admin
            .post(
                &format!("/admin/flows/{shipped_id}/rollback"),
                &[("csrf", &csrf)]
            )
            .await
            .status,
        303
    );
    let after = harness.notice("HS-AFTER", None).await;
    assert_eq!(
        harness
            .db
            .invitation(&after)
            .await
            .unwrap()
            .unwrap()
            .flow_version_id,
        shipped_id
    );

    let agencies = admin.get("/admin/agencies").await;
    assert!(
        agencies.body.contains(&format!(
            "<tr><td>T14.H02</td><td>sipas-short v{}</td><td>1</td></tr>",
            next - 1
        )) && agencies.body.contains(&format!(
            "<tr><td>T14.H02</td><td>sipas-short v{next}</td><td>1</td></tr>"
        )),
        "responses per agency and flow version: {}",
        agencies.body
    );
    let audit = admin.get("/admin/audit").await;
    for action in [
        "flow.draft",
        "flow.edit",
        "flow.validate",
        "flow.publish",
        "flow.rollback",
        "user.sign_in",
    ] {
        assert!(audit.body.contains(action), "{action} in the audit log");
    }
    assert!(
        audit.body.contains("Ông/Bà thấy nơi làm thủ tục"),
        "the edit's after text"
    );
    harness.finish().await;
}

#[tokio::test]
async fn viewers_only_read_and_managers_only_touch_their_own_subtree() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut viewer = Browser::new(&harness.base);
    viewer.sign_in("viewer", "viewer-mật-khẩu").await;
    let flows = viewer.get("/admin/flows").await;
    assert_eq!(flows.status, 200);
    let shipped_id = version_link(&flows, "sipas-short", shipped("sipas-short"));
    let csrf = Browser::csrf(&flows);
    assert_eq!(
        viewer
            .post(
                &format!("/admin/flows/{shipped_id}/draft"),
                &[("csrf", &csrf)]
            )
            .await
            .status,
        403
    );
    assert_eq!(
        viewer
            .post(
                "/admin/subscriptions",
                &[("csrf", &csrf), ("agency", "T14")]
            )
            .await
            .status,
        403
    );

    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let admin_csrf = Browser::csrf(&admin.get("/admin/flows").await);
    let global_draft = admin
        .post(
            &format!("/admin/flows/{shipped_id}/draft"),
            &[("csrf", &admin_csrf)],
        )
        .await
        .location
        .unwrap();

    let mut manager = Browser::new(&harness.base);
    manager.sign_in("mocchau", "mocchau-mật-khẩu").await;
    let manager_csrf = Browser::csrf(&manager.get("/admin/flows").await);
    let refused = manager
        .post(
            &format!("{global_draft}/questions/access"),
            &[("csrf", &manager_csrf), ("vi", "Không được sửa")],
        )
        .await;
    assert_eq!(refused.status, 403, "the global flow is not the manager's");
    // A manager's draft of a global flow becomes a flow of their own subtree.
    let own = manager
        .post(
            &format!("/admin/flows/{shipped_id}/draft"),
            &[("csrf", &manager_csrf)],
        )
        .await;
    let own_path = own.location.unwrap();
    let own_page = manager.get(&own_path).await;
    assert!(
        own_page.body.contains("sipas-short-t14.h02"),
        "{}",
        own_page.body
    );
    let edited = manager
        .post(
            &format!("{own_path}/questions/access"),
            &[("csrf", &manager_csrf), ("vi", "Câu hỏi của huyện?")],
        )
        .await;
    assert_eq!(edited.status, 303);
    // Subscription codes only for their subtree.
    assert_eq!(
        manager
            .post(
                "/admin/subscriptions",
                &[("csrf", &manager_csrf), ("agency", "T14.H01")]
            )
            .await
            .status,
        403
    );
    let code = manager
        .post(
            "/admin/subscriptions",
            &[("csrf", &manager_csrf), ("agency", "T14.H02")],
        )
        .await;
    assert_eq!(code.status, 201);
    assert!(code.body.contains("Mã đăng ký:"));
    harness.finish().await;
}

#[tokio::test]
async fn agency_import_reports_rejected_rows_and_keeps_the_good_ones() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let page = admin.get("/admin/agencies").await;
    let csrf = Browser::csrf(&page);
    let csv = "code,name,parent_code,level\nT14.H03,UBND huyện Mai Sơn,T14,huyện\nT14.H03.X01,UBND thị trấn Hát Lót,T14.H03,xã\nT14.H09,,T14,huyện\nT14.H10,Huyện lạc,T99,huyện\n";
    let report = admin
        .post("/admin/agencies/import", &[("csrf", &csrf), ("csv", csv)])
        .await;
    assert_eq!(report.status, 200);
    assert!(
        report.body.contains("Đã nhập 2 cơ quan, từ chối 2 dòng."),
        "{}",
        report.body
    );
    assert!(report.body.contains("Dòng 4 (T14.H09): thiếu tên cơ quan."));
    assert!(
        report
            .body
            .contains("Dòng 5 (T14.H10): cơ quan cấp trên không tồn tại.")
    );
    assert!(harness.db.agency("T14.H03.X01").await.unwrap().is_some());
    assert!(harness.db.agency("T14.H10").await.unwrap().is_none());
    let mut viewer = Browser::new(&harness.base);
    viewer.sign_in("viewer", "viewer-mật-khẩu").await;
    let viewer_csrf = Browser::csrf(&viewer.get("/admin/agencies").await);
    assert_eq!(
        viewer
            .post(
                "/admin/agencies/import",
                &[("csrf", &viewer_csrf), ("csv", csv)]
            )
            .await
            .status,
        403
    );
    harness.finish().await;
}

#[test]
fn the_admin_commands_bootstrap_an_account_publish_list_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("SIPAS_LANG")
            .output()
            .unwrap()
    };
    let text = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).to_string();
    let added = run(&["admin", "add", "--role", "admin", "--login", "lan"]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let password = text(&added).rsplit(": ").next().unwrap().trim().to_string();
    assert_eq!(password.len(), 16);
    let again = run(&["admin", "add", "--role", "admin", "--login", "lan"]);
    assert_eq!(again.status.code(), Some(1));
    let manager = run(&["admin", "add", "--role", "manager", "--login", "minh"]);
    assert_eq!(manager.status.code(), Some(1), "a manager needs an agency");

    let current = shipped("sipas-short");
    let next = current + 1;
    let short = include_str!("../flows/sipas-short.toml")
        .replace(
            &format!("\nversion = {current}\n"),
            &format!("\nversion = {next}\n"),
        )
        .replace(
            "Kết quả có đúng hạn, đầy đủ và chính xác không?",
            "Kết quả có đúng hẹn và chính xác không?",
        );
    std::fs::write(dir.path().join("next.toml"), short).unwrap();
    let published = run(&["flow", "publish", "next.toml"]);
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let list = text(&run(&["flow", "list"]));
    assert!(
        list.contains(&format!("sipas-short v{next} · đã công bố (đang dùng)")),
        "{list}"
    );
    assert!(
        list.contains(&format!("sipas-short v{current} · đã công bố ·")),
        "{list}"
    );
    let exported = text(&run(&["flow", "export", "sipas-short", &next.to_string()]));
    assert!(exported.contains("Kết quả có đúng hẹn và chính xác không?"));
    assert_eq!(
        run(&["flow", "export", "sipas-short", "9"]).status.code(),
        Some(1)
    );

    std::fs::write(
        dir.path().join("agencies.csv"),
        "code,name,parent_code,level\nT1,Tỉnh Một,,tỉnh\nT1.X,,T1,xã\n",
    )
    .unwrap();
    let imported = run(&["agency", "import", "agencies.csv"]);
    assert_eq!(imported.status.code(), Some(2), "some rows were rejected");
    assert!(
        text(&imported).contains("Dòng 3 (T1.X): thiếu tên cơ quan."),
        "{}",
        text(&imported)
    );
}

#[tokio::test]
async fn a_draft_edits_conditions_and_options_and_validation_speaks_like_the_command_line() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let flows = admin.get("/admin/flows").await;
    let csrf = Browser::csrf(&flows);
    let full = version_link(&flows, "sipas-full", shipped("sipas-full"));
    let draft = admin
        .post(&format!("/admin/flows/{full}/draft"), &[("csrf", &csrf)])
        .await
        .location
        .unwrap();
    let page = admin.get(&draft).await;
    assert!(
        page.body.contains("capacity|Năng lực của công chức|"),
        "options are editable"
    );
    assert!(
        page.body.contains("value=\"gave_feedback=yes\""),
        "conditions are editable"
    );
    admin
        .post(
            &format!("{draft}/questions/feedback_channel"),
            &[
                ("csrf", &csrf),
                ("vi", "Kênh góp ý có thuận tiện không?"),
                ("show_if", "gave_feedback=maybe"),
            ],
        )
        .await;
    admin
        .post(
            &format!("{draft}/questions/expectations"),
            &[
                ("csrf", &csrf),
                ("vi", "Cần cải thiện điều gì nhất?"),
                ("options", "nhanh|Nhanh hơn|Faster\nre|Rẻ hơn|"),
                ("show_if", ""),
            ],
        )
        .await;
    let invalid = admin
        .post(&format!("{draft}/validate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(invalid.status, 422);
    assert!(
        invalid.body.contains("câu hỏi “feedback_channel”: điều kiện hiển thị dùng giá trị “maybe” mà câu “gave_feedback” không có."),
        "{}",
        invalid.body
    );
    assert!(
        invalid
            .body
            .contains("số ý được chọn tối đa (3) phải từ 1 đến số phương án (2)."),
        "{}",
        invalid.body
    );
    let id: i64 = draft.rsplit('/').next().unwrap().parse().unwrap();
    let stored = harness.db.flow_version(id).await.unwrap().flow;
    let options: Vec<&str> = stored
        .question("expectations")
        .unwrap()
        .options()
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(options, ["nhanh", "re"]);
    assert_eq!(
        admin
            .post(&format!("{draft}/publish"), &[("csrf", &csrf)])
            .await
            .status,
        403,
        "not valid, not published"
    );
    harness.finish().await;
}

/// The tags of a page as a browser's tokenizer reads them: each tag's name and its attributes'
/// names and raw values. Enough to tell markup from text in the console's pages.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            rest = &rest[rest.find('>').map_or(rest.len(), |end| end + 1)..];
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = &rest[name_end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                rest = rest.get(1..).unwrap_or("");
                break;
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
                .unwrap_or(rest.len())
                .max(1);
            let attribute = rest[..end].to_ascii_lowercase();
            rest = &rest[end..];
            let mut value = String::new();
            if let Some(after) = rest.trim_start().strip_prefix('=') {
                let after = after.trim_start();
                if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                    let close = after[1..].find(quote).map_or(after.len(), |i| i + 1);
                    value = after[1..close].to_string();
                    rest = after.get(close + 1..).unwrap_or("");
                } else {
                    let close = after
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(after.len());
                    value = after[..close].to_string();
                    rest = &after[close..];
                }
            }
            attributes.push((attribute, value));
        }
        found.push((name, attributes));
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn a_crafted_question_id_or_text_is_shown_as_text_never_as_markup() {
    use sipas_bot::core::flow::{Question, QuestionKind, Text};
    const ID: &str = "x onmouseover=alert(1) \"><script>alert(2)</script>";
    const TEXT: &str = "\"><script>alert(3)</script> onfocus=alert(4)";
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let flows = admin.get("/admin/flows").await;
    let csrf = Browser::csrf(&flows);
    let shipped_id = version_link(&flows, "sipas-short", shipped("sipas-short"));
    let draft = admin
        .post(
            &format!("/admin/flows/{shipped_id}/draft"),
            &[("csrf", &csrf)],
        )
        .await
        .location
        .unwrap();
    // Stored directly, as an older release or a flow file could have: the pages must hold
    // whatever the lifecycle lets through.
    let id: i64 = draft.rsplit('/').next().unwrap().parse().unwrap();
    let mut flow = harness.db.flow_version(id).await.unwrap().flow;
    flow.title.vi = format!("Bộ {TEXT}");
    flow.questions.push(Question {
        id: ID.into(),
        text: Text {
            vi: TEXT.into(),
            en: Some(TEXT.into()),
        },
        kind: QuestionKind::YesNo,
        show_if: None,
        alert_if: Vec::new(),
    });
    harness
        .db
        .save_draft(id, &flow, "test", harness.clock.now())
        .await
        .unwrap();

    for path in [
        draft.clone(),
        format!("{draft}/preview"),
        format!("{draft}/diff"),
        "/admin/flows".to_string(),
        "/admin/audit".to_string(),
    ] {
        let page = admin.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        for (tag, attributes) in tags(&page.body) {
            assert_ne!(tag, "script", "{path}: {}", page.body);
            for (name, _) in &attributes {
                assert!(
                    !name.starts_with("on"),
                    "{path}: <{tag} {name}> in {}",
                    page.body
                );
            }
        }
        assert!(
            page.body.contains("&lt;script&gt;alert("),
            "{path} shows the text, escaped: {}",
            page.body
        );
    }

    // The editor's form for the odd question still posts to that question.
    let page = admin.get(&draft).await;
    let form = tags(&page.body)
        .into_iter()
        .find(|(tag, attributes)| {
            tag == "form"
                && attributes
                    .iter()
                    .any(|(name, value)| name == "data-question" && unescape(value) == ID)
        })
        .expect("the crafted question's form");
    let action = unescape(&form.1.iter().find(|(n, _)| n == "action").unwrap().1);
    let saved = admin
        .post(&action, &[("csrf", &csrf), ("vi", "Đã sửa câu hỏi lạ")])
        .await;
    assert_eq!(saved.status, 303, "{action}");
    let stored = harness.db.flow_version(id).await.unwrap().flow;
    assert_eq!(stored.question(ID).unwrap().text.vi, "Đã sửa câu hỏi lạ");
    harness.finish().await;
}

#[tokio::test]
async fn a_hostile_question_id_is_refused_with_the_command_line_s_message() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let flows = admin.get("/admin/flows").await;
    let csrf = Browser::csrf(&flows);
    let short = version_link(&flows, "sipas-short", shipped("sipas-short"));
    let draft = admin
        .post(&format!("/admin/flows/{short}/draft"), &[("csrf", &csrf)])
        .await
        .location
        .unwrap();
    admin
        .post(
            &format!("{draft}/questions"),
            &[
                ("csrf", &csrf),
                ("id", "x\"><script>"),
                ("kind", "yes_no"),
                ("vi", "Câu hỏi lạ?"),
            ],
        )
        .await;
    let invalid = admin
        .post(&format!("{draft}/validate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(invalid.status, 422);
    // The message `flow validate` prints (tests/cli.rs), escaped for the page.
    assert!(
        invalid.body.contains(
            "mã “x&quot;&gt;&lt;script&gt;” không hợp lệ: cần bắt đầu bằng chữ thường (a–z)"
        ),
        "{}",
        invalid.body
    );
    assert!(
        !invalid.body.contains("x\"><script>"),
        "never raw in the page"
    );
    assert_eq!(
        admin
            .post(&format!("{draft}/publish"), &[("csrf", &csrf)])
            .await
            .status,
        403,
        "not valid, not published"
    );
    harness.finish().await;
}

/// Subscribes a group chat to `agency`'s summaries, as redeeming a code in the group does.
async fn subscribe(harness: &Harness, agency: &str, chat: &str, title: &str) {
    let now = harness.clock.now();
    let code = sipas_bot::storage::SubscriptionCode {
        code: format!("CODE-{chat}"),
        agency_code: agency.into(),
        points_max: None,
        weekday: 1,
        hour: 8,
        xlsx: false,
        period: sipas_bot::storage::SubscriptionPeriod::Week,
        expires_at: now + Duration::days(7),
    };
    harness
        .db
        .create_subscription_code(&code, now)
        .await
        .unwrap();
    harness
        .db
        .redeem_subscription_code(
            &code.code,
            "telegram",
            chat,
            Some(title),
            |_, _, _| now + Duration::days(7),
            |_| sipas_bot::storage::Effects::default(),
            now,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn managers_and_viewers_see_only_their_own_subtree() {
    let harness = Harness::start().await;
    seed(&harness).await;
    add_user(&harness, "thanhpho", Role::Manager, Some("T14.H01")).await;
    add_user(&harness, "xem_mocchau", Role::Viewer, Some("T14.H02")).await;
    subscribe(&harness, "T14.H01", "-1001", "Nhóm Thành phố").await;
    subscribe(&harness, "T14.H02", "-1002", "Nhóm Mộc Châu").await;

    // Mộc Châu's manager forks the global flow: the fork is owned by T14.H02.
    let mut mocchau = Browser::new(&harness.base);
    mocchau.sign_in("mocchau", "mocchau-mật-khẩu").await;
    let flows = mocchau.get("/admin/flows").await;
    let shipped_id = version_link(&flows, "sipas-short", shipped("sipas-short"));
    let csrf = Browser::csrf(&flows);
    let fork = mocchau
        .post(
            &format!("/admin/flows/{shipped_id}/draft"),
            &[("csrf", &csrf)],
        )
        .await
        .location
        .unwrap();
    let fork_flows = mocchau.get("/admin/flows").await;
    assert!(
        fork_flows
            .body
            .contains("data-flow=\"sipas-short-t14.h02\"")
    );

    let mut thanhpho = Browser::new(&harness.base);
    thanhpho.sign_in("thanhpho", "thanhpho-mật-khẩu").await;
    let theirs = thanhpho.get("/admin/flows").await;
    assert_eq!(theirs.status, 200);
    assert!(theirs.body.contains("data-flow=\"sipas-short\""));
    assert!(
        !theirs.body.contains("sipas-short-t14.h02"),
        "another district's fork: {}",
        theirs.body
    );
    assert_eq!(thanhpho.get(&fork).await.status, 404);
    assert_eq!(thanhpho.get(&format!("{fork}/preview")).await.status, 404);
    let other_csrf = Browser::csrf(&theirs);
    let refused = thanhpho
        .post(
            &format!("{fork}/questions/access"),
            &[("csrf", &other_csrf), ("vi", "Không phải của tôi")],
        )
        .await;
    assert_eq!(refused.status, 404);
    let subscriptions = thanhpho.get("/admin/subscriptions").await;
    assert!(subscriptions.body.contains("Nhóm Thành phố"));
    assert!(!subscriptions.body.contains("Nhóm Mộc Châu"));
    assert!(!subscriptions.body.contains("-1002"));
    let agencies = thanhpho.get("/admin/agencies").await;
    assert!(agencies.body.contains("UBND thành phố Sơn La"));
    assert!(!agencies.body.contains("UBND huyện Mộc Châu"));
    assert!(
        !agencies.body.contains("UBND tỉnh Sơn La"),
        "not the parent"
    );
    let audit = thanhpho.get("/admin/audit").await;
    assert!(
        !audit.body.contains("sipas-short-t14.h02"),
        "{}",
        audit.body
    );
    assert!(!audit.body.contains("mocchau"), "{}", audit.body);
    assert!(!audit.body.contains("user.sign_in</td><td>admin"));

    // Mộc Châu's viewer reads Mộc Châu only, its fork included.
    let mut viewer = Browser::new(&harness.base);
    viewer.sign_in("xem_mocchau", "xem_mocchau-mật-khẩu").await;
    assert!(
        viewer
            .get("/admin/flows")
            .await
            .body
            .contains("sipas-short-t14.h02")
    );
    assert_eq!(viewer.get(&fork).await.status, 200);
    let subscriptions = viewer.get("/admin/subscriptions").await;
    assert!(subscriptions.body.contains("Nhóm Mộc Châu"));
    assert!(!subscriptions.body.contains("Nhóm Thành phố"));
    let audit = viewer.get("/admin/audit").await;
    assert!(audit.body.contains("sipas-short-t14.h02"), "{}", audit.body);

    // The admin still sees everything.
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let subscriptions = admin.get("/admin/subscriptions").await;
    assert!(
        subscriptions.body.contains("Nhóm Thành phố")
            && subscriptions.body.contains("Nhóm Mộc Châu")
    );

    // A fork's flow id belongs to its agency: nobody else adds versions to it.
    let fork_id: i64 = fork.rsplit('/').next().unwrap().parse().unwrap();
    let hijack = harness
        .db
        .create_draft(
            fork_id,
            Some(("sipas-short-t14.h02", "T14.H01")),
            "thanhpho",
            harness.clock.now(),
        )
        .await;
    assert!(
        matches!(
            hijack,
            Err(sipas_bot::storage::LifecycleError::OwnedElsewhere(_))
        ),
        "{hijack:?}"
    );
    let global = harness
        .db
        .create_draft(
            shipped_id,
            Some(("sipas-short", "T14.H01")),
            "thanhpho",
            harness.clock.now(),
        )
        .await;
    assert!(matches!(
        global,
        Err(sipas_bot::storage::LifecycleError::OwnedElsewhere(_))
    ));
    harness.finish().await;
}

#[tokio::test]
async fn console_pages_carry_security_headers_and_https_makes_cookies_secure() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let response = harness
        .http
        .get(format!("{}/admin/login", harness.base))
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    let cookie = headers["set-cookie"].to_str().unwrap().to_string();
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let body = response.text().await.unwrap();
    assert!(body.contains("href=\"/admin/style.css\"") && !body.contains("<style>"));
    let style = harness
        .http
        .get(format!("{}/admin/style.css", harness.base))
        .send()
        .await
        .unwrap();
    assert_eq!(style.status(), 200);
    assert!(
        style.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    // A signed-in page and an error page carry them too.
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    for path in ["/admin/flows", "/admin/flows/999999"] {
        let response = admin
            .http
            .get(format!("{}{path}", admin.base))
            .header("cookie", admin.cookie_header())
            .send()
            .await
            .unwrap();
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{path}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    harness.finish().await;

    let harness = Harness::start_with(
        crate::common::TestDb::sqlite(),
        &[("PUBLIC_BASE_URL", "https://sipas.sonla.gov.vn")],
    )
    .await;
    seed(&harness).await;
    let mut browser = Browser::new(&harness.base);
    let form = browser.get("/admin/login").await;
    let csrf = Browser::csrf(&form);
    let signed = browser
        .http
        .post(format!("{}/admin/login", harness.base))
        .header("cookie", browser.cookie_header())
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "admin"),
            ("password", "admin-mật-khẩu"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let cookies: Vec<&str> = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("sipas_session=") && c.contains("; Secure")),
        "{cookies:?}"
    );
    harness.finish().await;
}

/// The median time of three sign-ins of `login` with a wrong password.
async fn sign_in_time(browser: &mut Browser, login: &str) -> std::time::Duration {
    let mut times = Vec::new();
    for _ in 0..3 {
        let form = browser.get("/admin/login").await;
        let csrf = Browser::csrf(&form);
        let started = std::time::Instant::now();
        let page = browser
            .post(
                "/admin/login",
                &[("csrf", &csrf), ("login", login), ("password", "sai")],
            )
            .await;
        times.push(started.elapsed());
        assert_eq!(page.status, 401);
        assert!(page.body.contains("không đúng"), "{}", page.body);
    }
    times.sort();
    times[1]
}

#[tokio::test]
async fn an_unknown_login_answers_like_a_known_one_even_when_locked() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut browser = Browser::new(&harness.base);
    // The same argon2 work either way: an unknown login is checked against a dummy hash.
    // (Debug builds make argon2 slow, so the difference without it is a hundredfold.)
    let known = sign_in_time(&mut browser, "admin").await;
    let unknown = sign_in_time(&mut browser, "khong_co").await;
    assert!(
        unknown * 4 >= known,
        "unknown {unknown:?} vs known {known:?}"
    );
    for _ in 0..2 {
        browser.sign_in("khong_co", "sai").await;
    }
    let locked = browser.sign_in("khong_co", "sai").await;
    assert_eq!(locked.status, 401);
    assert!(locked.body.contains("tạm khóa"), "{}", locked.body);
    harness.finish().await;
}

#[tokio::test]
async fn the_printed_password_must_be_changed_at_the_first_sign_in() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let added = std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
        .args(["admin", "add", "--role", "admin", "--login", "lan"])
        .env("DATABASE_URL", &harness.db_url)
        .env_remove("SIPAS_LANG")
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let printed = String::from_utf8_lossy(&added.stdout)
        .rsplit(": ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let mut lan = Browser::new(&harness.base);
    let signed = lan.sign_in("lan", &printed).await;
    assert_eq!(
        (signed.status, signed.location.as_deref()),
        (303, Some("/admin/password"))
    );
    for path in ["/admin/flows", "/admin/audit", "/admin/users"] {
        let page = lan.get(path).await;
        assert_eq!(
            (page.status, page.location.as_deref()),
            (303, Some("/admin/password")),
            "{path}"
        );
    }
    let form = lan.get("/admin/password").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("id=\"must-change\""));
    let csrf = Browser::csrf(&form);
    // Refused elsewhere too: a state-changing form before the change.
    let early = lan
        .post(
            "/admin/assignments",
            &[("csrf", &csrf), ("agency", "*"), ("flow", "sipas-full")],
        )
        .await;
    assert_eq!(early.location.as_deref(), Some("/admin/password"));
    for (current, new, repeat, message) in [
        (
            "sai-mật-khẩu",
            "mật-khẩu-mới-2026",
            "mật-khẩu-mới-2026",
            "Mật khẩu hiện tại không đúng.",
        ),
        (
            printed.as_str(),
            "ngắn",
            "ngắn",
            "Mật khẩu mới cần ít nhất 12 ký tự.",
        ),
        (
            printed.as_str(),
            printed.as_str(),
            printed.as_str(),
            "Mật khẩu mới phải khác mật khẩu hiện tại.",
        ),
        (
            printed.as_str(),
            "mật-khẩu-mới-2026",
            "mật-khẩu-khác-2026",
            "Hai lần nhập mật khẩu mới không khớp nhau.",
        ),
    ] {
        let page = lan
            .post(
                "/admin/password",
                &[
                    ("csrf", &csrf),
                    ("current", current),
                    ("new", new),
                    ("repeat", repeat),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{message}");
        assert!(page.body.contains(message), "{}", page.body);
    }
    let changed = lan
        .post(
            "/admin/password",
            &[
                ("csrf", &csrf),
                ("current", &printed),
                ("new", "mật-khẩu-mới-2026"),
                ("repeat", "mật-khẩu-mới-2026"),
            ],
        )
        .await;
    assert_eq!(changed.location.as_deref(), Some("/admin/flows"));
    assert_eq!(lan.get("/admin/flows").await.status, 200);
    let mut again = Browser::new(&harness.base);
    assert_eq!(again.sign_in("lan", &printed).await.status, 401);
    let fresh = again.sign_in("lan", "mật-khẩu-mới-2026").await;
    assert_eq!(fresh.location.as_deref(), Some("/admin/flows"));
    harness.finish().await;
}

#[tokio::test]
async fn an_admin_disables_a_user_and_their_sessions_end_at_once() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut viewer = Browser::new(&harness.base);
    viewer.sign_in("viewer", "viewer-mật-khẩu").await;
    assert_eq!(viewer.get("/admin/flows").await.status, 200);
    assert_eq!(viewer.get("/admin/users").await.status, 403, "admins only");
    let mut manager = Browser::new(&harness.base);
    manager.sign_in("mocchau", "mocchau-mật-khẩu").await;
    let manager_csrf = Browser::csrf(&manager.get("/admin/flows").await);
    let not_admin = manager
        .post("/admin/users/viewer/disable", &[("csrf", &manager_csrf)])
        .await;
    assert_eq!(not_admin.status, 403);

    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let users = admin.get("/admin/users").await;
    assert!(users.body.contains("data-login=\"viewer\""));
    let csrf = Browser::csrf(&users);
    let done = admin
        .post("/admin/users/viewer/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, 200);
    assert!(
        done.body.contains("Đã khóa tài khoản “viewer”"),
        "{}",
        done.body
    );
    let ended = viewer.get("/admin/flows").await;
    assert_eq!(
        (ended.status, ended.location.as_deref()),
        (303, Some("/admin/login"))
    );
    let refused = viewer.sign_in("viewer", "viewer-mật-khẩu").await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
    );
    assert_eq!(
        admin
            .post("/admin/users/admin/disable", &[("csrf", &csrf)])
            .await
            .status,
        403,
        "not oneself"
    );
    assert!(
        admin
            .get("/admin/audit")
            .await
            .body
            .contains("user.disable")
    );
    harness.finish().await;
}

#[tokio::test]
async fn admin_http_addr_moves_the_console_off_the_public_listener() {
    let harness = Harness::start_with(
        crate::common::TestDb::sqlite(),
        &[("ADMIN_HTTP_ADDR", "127.0.0.1:0")],
    )
    .await;
    let running = harness.running();
    assert_ne!(running.admin_addr, running.http_addr);
    let get = |addr: std::net::SocketAddr, path: &str| {
        let url = format!("http://{addr}{path}");
        let http = harness.http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(running.http_addr, "/admin/login").await, 404);
    assert_eq!(get(running.http_addr, "/admin/flows").await, 404);
    assert_eq!(get(running.http_addr, "/healthz").await, 200);
    assert_eq!(get(running.admin_addr, "/admin/login").await, 200);
    assert_eq!(get(running.admin_addr, "/healthz").await, 404);
    harness.finish().await;
}

#[tokio::test]
async fn only_a_flow_with_a_published_version_can_be_assigned() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut manager = Browser::new(&harness.base);
    manager.sign_in("mocchau", "mocchau-mật-khẩu").await;
    let flows = manager.get("/admin/flows").await;
    let shipped_id = version_link(&flows, "sipas-short", shipped("sipas-short"));
    let csrf = Browser::csrf(&flows);
    manager
        .post(
            &format!("/admin/flows/{shipped_id}/draft"),
            &[("csrf", &csrf)],
        )
        .await;
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let csrf = Browser::csrf(&admin.get("/admin/flows").await);
    let refused = admin
        .post(
            "/admin/assignments",
            &[
                ("csrf", &csrf),
                ("agency", "T14.H02"),
                ("flow", "sipas-short-t14.h02"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(
            "Bộ câu hỏi “sipas-short-t14.h02” chưa có phiên bản nào được công bố nên chưa gán được cho cơ quan."
        ),
        "{}",
        refused.body
    );
    assert!(harness.db.flow_assignments().await.unwrap().is_empty());
    let assigned = admin
        .post(
            "/admin/assignments",
            &[
                ("csrf", &csrf),
                ("agency", "T14.H02"),
                ("flow", "sipas-full"),
            ],
        )
        .await;
    assert_eq!(assigned.status, 303);
    harness.finish().await;
}

#[tokio::test]
async fn a_shipped_flow_colliding_with_a_stored_draft_is_skipped_not_fatal() {
    let test_db = crate::common::TestDb::sqlite();
    let db = sipas_bot::services::startup::open_store(&test_db.url)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let current = shipped("sipas-short");
    let shipped_id = db
        .flow_version_id("sipas-short", current)
        .await
        .unwrap()
        .unwrap();
    let draft = db
        .create_draft(shipped_id, None, "admin", now)
        .await
        .unwrap();
    // An upgrade ships its own next version, different from the console's draft of that number.
    let mut upgrade = sipas_bot::core::flow::builtin();
    let short = upgrade.iter_mut().find(|f| f.id == "sipas-short").unwrap();
    short.version = current + 1;
    short.title.vi = "Bộ câu hỏi mới của bản nâng cấp".into();
    sipas_bot::services::startup::store_shipped(&db, &upgrade)
        .await
        .expect("a collision is reported and skipped");
    let info = db.flow_version_info(draft).await.unwrap().unwrap();
    assert_eq!(
        (info.status, info.version),
        (sipas_bot::storage::FlowStatus::Draft, current + 1),
        "the draft is kept as it was"
    );
    assert_eq!(
        db.latest_flow("sipas-short")
            .await
            .unwrap()
            .unwrap()
            .flow
            .version,
        current
    );
    db.close().await;
    // Every command still starts.
    let again = sipas_bot::services::startup::open_store(&test_db.url)
        .await
        .unwrap();
    again.close().await;
}

#[tokio::test]
async fn accounts_sessions_and_assignments_behave_alike_on_both_backends() {
    for test_db in crate::common::TestDb::all().await {
        let db = sipas_bot::services::startup::open_store(&test_db.url)
            .await
            .unwrap();
        let now = chrono::Utc::now();
        let user = User {
            login: "lan".into(),
            role: Role::Viewer,
            agency_code: None,
            password_hash: auth::hash_password("mật-khẩu-cũ-2026"),
            failed_attempts: 0,
            locked_until: None,
        };
        assert!(db.create_user(&user, "test", now).await.unwrap());
        db.require_password_change("lan").await.unwrap();
        let account = db.account("lan").await.unwrap().unwrap();
        assert!(
            account.must_change_password && !account.disabled,
            "{}",
            test_db.name
        );
        for token in ["a", "b"] {
            db.create_web_session(token, "lan", "csrf", now + Duration::hours(1), now)
                .await
                .unwrap();
        }
        let live = db.web_session("a", now).await.unwrap().unwrap();
        assert!(live.must_change_password);
        db.set_password("lan", &auth::hash_password("mật-khẩu-mới-2026"), "a", now)
            .await
            .unwrap();
        let live = db.web_session("a", now).await.unwrap().unwrap();
        assert!(!live.must_change_password, "{}", test_db.name);
        assert!(
            db.web_session("b", now).await.unwrap().is_none(),
            "the other session ended"
        );
        assert!(db.disable_user("lan", "admin", now).await.unwrap());
        assert!(
            !db.disable_user("lan", "admin", now).await.unwrap(),
            "already disabled"
        );
        assert!(
            db.web_session("a", now).await.unwrap().is_none(),
            "{}",
            test_db.name
        );
        assert!(db.accounts().await.unwrap()[0].disabled);
        let unpublished = db.assign_flow("*", "khong-co", "admin", now).await;
        assert!(
            matches!(
                unpublished,
                Err(sipas_bot::storage::LifecycleError::NothingPublished(_))
            ),
            "{}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn admins_review_flagged_responses_and_clear_a_flag_with_an_audit_entry() {
    let harness = Harness::start().await;
    seed(&harness).await;
    let (status, invitation) = harness
        .post_notice(common::server::notice_body("HS-CO"))
        .await;
    assert_eq!(status, 201, "{invitation}");
    let token = invitation["token"].as_str().unwrap();
    // Every answer at the same instant: faster than anyone reads, so flagged.
    let now = harness.clock.now();
    let conversations = Conversations::new(harness.db.clone());
    let mut session = conversations
        .open(token, "test", "chat-nhanh", Lang::Vi, now)
        .await
        .unwrap()
        .session;
    // The first criterion rated 1: an honest response like it would raise an alert.
    for answer in ["1", "4", "3", "4", "không", "4", "bỏ qua"] {
        session = conversations
            .input(&session, &Input::Text(answer.into()), now)
            .await
            .unwrap()
            .session;
    }
    assert!(session.state.finished);

    let mut viewer = Browser::new(&harness.base);
    viewer.sign_in("viewer", "viewer-mật-khẩu").await;
    assert_eq!(viewer.get("/admin/flags").await.status, 403);

    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let page = admin.get("/admin/flags").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("HS-CO"), "{}", page.body);
    assert!(
        page.body.contains("Trả lời nhanh hơn tốc độ đọc"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("chat-nhanh"), "no chat id on the page");
    let flagged = harness.db.flagged_responses(None, 10).await.unwrap();
    assert_eq!(flagged.len(), 1);
    // A flagged response raises no alert (issue 18), though it rates a criterion 1 and the
    // chat of its agency is subscribed: the alert pass marks it checked and sends nothing.
    let code = sipas_bot::storage::SubscriptionCode {
        code: sipas_bot::storage::new_code(),
        agency_code: "T14.H02".into(),
        points_max: None,
        period: sipas_bot::storage::SubscriptionPeriod::Week,
        weekday: 1,
        hour: 8,
        xlsx: false,
        expires_at: now + Duration::days(1),
    };
    harness
        .db
        .create_subscription_code(&code, now)
        .await
        .unwrap();
    harness
        .db
        .redeem_subscription_code(
            &code.code,
            "telegram",
            "-100555",
            Some("Tổ một cửa"),
            |_, _, _| now + Duration::days(7),
            |_| sipas_bot::storage::Effects::default(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(harness.running().run_alerts().await.unwrap(), 0);
    let (alerts, checked): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM outbox WHERE chat_id = '-100555'),
                (SELECT COUNT(*) FROM alerted_responses WHERE response_id = $1)",
    )
    .bind(flagged[0].response_id)
    .fetch_one(harness.db.pool())
    .await
    .unwrap();
    assert_eq!((alerts, checked), (0, 1), "checked, and nothing sent");
    let csrf = Browser::csrf(&page);
    let cleared = admin
        .post(
            &format!("/admin/flags/{}/clear", flagged[0].response_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(cleared.status, 200);
    assert!(cleared.body.contains("Đã gỡ cờ"), "{}", cleared.body);
    assert!(
        harness
            .db
            .flagged_responses(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let audit = harness.db.audit_log(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "flag.clear" && e.actor == "admin" && e.target == "HS-CO")
    );
    harness.finish().await;
}

/// A citizen of `agency` completes sipas-short at `at` with `answers`.
async fn respond_at(
    harness: &Harness,
    dossier: &str,
    agency: &str,
    answers: &[&str],
    at: chrono::DateTime<chrono::Utc>,
) {
    let flow = harness
        .db
        .latest_flow("sipas-short")
        .await
        .unwrap()
        .unwrap();
    let notice = sipas_bot::storage::NewNotice {
        dossier_code: dossier.into(),
        agency_code: agency.into(),
        procedure_code: "1.001612".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        submission_channel: sipas_bot::storage::SubmissionChannel::Direct,
        completed_at: at,
        recipient_chat_id: None,
    };
    let token = harness
        .db
        .submit_notice(&notice, flow.id, Duration::days(7), at)
        .await
        .unwrap()
        .invitation()
        .token
        .clone();
    let conversations = Conversations::new(harness.db.clone());
    let mut session = conversations
        .open(&token, "test", dossier, Lang::Vi, at)
        .await
        .unwrap()
        .session;
    // At a person's pace (5 s an answer): instant answers would be flagged as too fast.
    for (at, answer) in (1..).map(|i| at + Duration::seconds(5 * i)).zip(answers) {
        session = conversations
            .input(&session, &Input::Text(answer.to_string()), at)
            .await
            .unwrap()
            .session;
    }
    assert!(session.state.finished, "{dossier} completed");
}

/// GETs `path` with `browser`'s cookies: status, content type and the raw bytes.
async fn download(browser: &Browser, path: &str) -> (u16, String, Vec<u8>) {
    let response = browser
        .http
        .get(format!("{}{path}", browser.base))
        .header("cookie", browser.cookie_header())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map_or(String::new(), |v| v.to_str().unwrap().to_string());
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn the_results_page_shows_any_period_in_scope_and_downloads_respect_it() {
    let harness = Harness::start().await;
    seed(&harness).await;
    const GOOD: [&str; 7] = ["5", "5", "4", "5", "không", "5", "bỏ qua"];
    const POOR: [&str; 7] = ["2", "3", "4", "4", "không", "4", "bỏ qua"];
    // The harness's clock is Monday 16/11/2026: the week just ended is 2026-W46 (9–15/11).
    let at = |day: u32| {
        sipas_bot::core::clock::vietnam()
            .with_ymd_and_hms(2026, 11, day, 10, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    respond_at(&harness, "HS-A", "T14.H01", &GOOD, at(10)).await;
    respond_at(&harness, "HS-B", "T14.H02", &POOR, at(12)).await;
    respond_at(&harness, "HS-C", "T14.H02", &GOOD, at(3)).await;

    // Not signed in: every route sends to the sign-in page.
    let mut admin = Browser::new(&harness.base);
    for path in ["/admin/results", "/admin/results/export.csv?agency=T14"] {
        assert_eq!(admin.get(path).await.status, 303, "{path}");
    }
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let page = admin.get("/admin/results").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("href=\"/admin/results\""),
        "in the navigation"
    );
    assert!(
        page.body
            .contains("UBND tỉnh Sơn La · 2026-W46 (09/11/2026 – 15/11/2026)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Lời mời: 2 · Phản hồi: 2"),
        "{}",
        page.body
    );
    assert!(page.body.contains("UBND huyện Mộc Châu"), "the units");
    assert!(page.body.contains("Đăng ký khai sinh"), "the procedures");
    // Both indices (issue 19): the weighted row above the plain one, the channels' response
    // rates and the strata.
    assert!(
        page.body
            .contains("<tr id=\"weighted\"><td>Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ)</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<td>Chỉ số SIPAS chung</td>"),
        "the plain index too"
    );
    assert!(page.body.contains("id=\"channels\""), "{}", page.body);
    assert!(page.body.contains("id=\"strata\""), "{}", page.body);
    assert!(
        page.body
            .contains("src=\"/admin/results/chart.png?agency=T14&amp;period=2026-W46\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("HS-B"), "no dossier codes");
    // Any period: a month, a quarter, a year.
    for (period, title) in [
        ("2026-11", "2026-11 (01/11/2026 – 30/11/2026)"),
        ("2026-Q4", "2026-Q4 (01/10/2026 – 31/12/2026)"),
        ("2026", "2026 (01/01/2026 – 31/12/2026)"),
    ] {
        let page = admin
            .get(&format!("/admin/results?agency=T14&period={period}"))
            .await;
        assert_eq!(page.status, 200, "{period}");
        assert!(page.body.contains(title), "{period}: {}", page.body);
        assert!(page.body.contains("Lời mời: 3 · Phản hồi: 3"), "{period}");
    }
    let bad = admin.get("/admin/results?agency=T14&period=2026-W99").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("Kỳ báo cáo “2026-W99” không hợp lệ"),
        "{}",
        bad.body
    );
    // A crafted label far outside chrono's comfort (issue 18): refused, the page answers.
    for crafted in ["99999-W01", "1999", "2101-Q1"] {
        let bad = admin
            .get(&format!("/admin/results?agency=T14&period={crafted}"))
            .await;
        assert_eq!(bad.status, 400, "{crafted}");
        assert!(
            bad.body
                .contains(&format!("Kỳ báo cáo “{crafted}” không hợp lệ")),
            "{crafted}: {}",
            bad.body
        );
    }

    let (status, kind, png) = download(
        &admin,
        "/admin/results/chart.png?agency=T14&period=2026-W46",
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    let (status, _, xlsx) = download(
        &admin,
        "/admin/results/export.xlsx?agency=T14&period=2026-W46",
    )
    .await;
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK"), "a zip: an XLSX workbook");
    let (status, kind, csv) = download(
        &admin,
        "/admin/results/export.csv?agency=T14&period=2026-W46",
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 2 * 7,
        "a header and both responses' answers: {csv}"
    );
    assert!(
        csv.contains(",T14.H01,1.001612,2026-11-10,access,scale,5"),
        "{csv}"
    );
    assert!(!csv.contains("HS-"), "no dossier codes: {csv}");

    // A manager sees their subtree only: the page, the chart and each download.
    let mut manager = Browser::new(&harness.base);
    manager.sign_in("mocchau", "mocchau-mật-khẩu").await;
    let own = manager.get("/admin/results").await;
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains("UBND huyện Mộc Châu · 2026-W46"),
        "{}",
        own.body
    );
    assert!(
        !own.body.contains("value=\"T14\""),
        "no agency outside the subtree offered"
    );
    assert_eq!(manager.get("/admin/results?agency=T14").await.status, 403);
    for path in [
        "/admin/results/export.csv?agency=T14&period=2026-W46",
        "/admin/results/export.xlsx?agency=T14.H01&period=2026-W46",
        "/admin/results/chart.png?agency=T14",
    ] {
        assert_eq!(download(&manager, path).await.0, 403, "{path}");
    }
    let (status, _, csv) = download(
        &manager,
        "/admin/results/export.csv?agency=T14.H02&period=2026-W46",
    )
    .await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 7, "{csv}");
    assert!(!csv.contains("T14.H01"), "{csv}");
    harness.finish().await;
}
