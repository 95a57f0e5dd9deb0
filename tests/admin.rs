//! The admin console over real HTTP: sign-in, CSRF, roles, the flow lifecycle, imports, audit;
//! and the admin commands of the binary.

use crate::common;

use chrono::{Duration, TimeZone};
use common::server::Harness;
use sipas_bot::admin::auth;
use sipas_bot::clock::Clock;
use sipas_bot::conversation::Conversations;
use sipas_bot::flow::Lang;
use sipas_bot::storage::{Agency, AgencyLevel, Role, User};
use sipas_bot::survey::Input;
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
    // A citizen starts on v1 before the change.
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
    let v1 = version_link(&flows, "sipas-short", 1);
    let csrf = Browser::csrf(&flows);
    let draft = admin
        .post(&format!("/admin/flows/{v1}/draft"), &[("csrf", &csrf)])
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
    let v2 = version_link(&flows, "sipas-short", 2);
    assert!(
        flows
            .body
            .contains("data-version=\"2\"><td>sipas-short</td><td>v2</td>")
    );
    let preview = admin.get(&format!("/admin/flows/{v2}/preview")).await;
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
    let diff = admin.get(&format!("/admin/flows/{v2}/diff")).await;
    assert!(
        diff.body
            .contains("<ins>Ông/Bà thấy nơi làm thủ tục có thuận tiện không?</ins>"),
        "{}",
        diff.body
    );
    // A published version cannot be edited.
    let frozen = admin
        .post(
            &format!("/admin/flows/{v2}/questions/access"),
            &[("csrf", &csrf), ("vi", "Sửa lén?")],
        )
        .await;
    assert_eq!(frozen.status, 403);

    // New invitations use v2; the survey in progress finishes on v1.
    let new_token = harness.notice("HS-NEW", None).await;
    assert_eq!(
        harness
            .db
            .invitation(&new_token)
            .await
            .unwrap()
            .unwrap()
            .flow_version_id,
        v2
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
    assert_eq!(session.flow_version_id, v1);
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
        [1, 2],
        "each answer keeps the version it answered"
    );

    // Rollback puts v1 back in force for the next invitation.
    let v1_page = admin.get(&format!("/admin/flows/{v1}")).await;
    assert!(
        v1_page
            .body
            .contains(&format!("action=\"/admin/flows/{v1}/rollback\""))
    );
    assert_eq!(
        admin
            .post(&format!("/admin/flows/{v1}/rollback"), &[("csrf", &csrf)])
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
        v1
    );

    let agencies = admin.get("/admin/agencies").await;
    assert!(
        agencies
            .body
            .contains("<tr><td>T14.H02</td><td>sipas-short v1</td><td>1</td></tr>")
            && agencies
                .body
                .contains("<tr><td>T14.H02</td><td>sipas-short v2</td><td>1</td></tr>"),
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
    let v1 = version_link(&flows, "sipas-short", 1);
    let csrf = Browser::csrf(&flows);
    assert_eq!(
        viewer
            .post(&format!("/admin/flows/{v1}/draft"), &[("csrf", &csrf)])
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
            &format!("/admin/flows/{v1}/draft"),
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
            &format!("/admin/flows/{v1}/draft"),
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

    let short = include_str!("../flows/sipas-short.toml")
        .replace("version = 1", "version = 2")
        .replace(
            "Kết quả có đúng hạn, đầy đủ và chính xác không?",
            "Kết quả có đúng hẹn và chính xác không?",
        );
    std::fs::write(dir.path().join("v2.toml"), short).unwrap();
    let published = run(&["flow", "publish", "v2.toml"]);
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let list = text(&run(&["flow", "list"]));
    assert!(
        list.contains("sipas-short v2 · đã công bố (đang dùng)"),
        "{list}"
    );
    assert!(list.contains("sipas-short v1 · đã công bố ·"), "{list}");
    let exported = text(&run(&["flow", "export", "sipas-short", "2"]));
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
    let full = version_link(&flows, "sipas-full", 1);
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
    use sipas_bot::flow::{Question, QuestionKind, Text};
    const ID: &str = "x onmouseover=alert(1) \"><script>alert(2)</script>";
    const TEXT: &str = "\"><script>alert(3)</script> onfocus=alert(4)";
    let harness = Harness::start().await;
    seed(&harness).await;
    let mut admin = Browser::new(&harness.base);
    admin.sign_in("admin", "admin-mật-khẩu").await;
    let flows = admin.get("/admin/flows").await;
    let csrf = Browser::csrf(&flows);
    let v1 = version_link(&flows, "sipas-short", 1);
    let draft = admin
        .post(&format!("/admin/flows/{v1}/draft"), &[("csrf", &csrf)])
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
    for answer in answers {
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
        sipas_bot::clock::vietnam()
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
        csv.contains(",T14.H01,1.001612,2026-11-10 10:00,access,scale,5"),
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
