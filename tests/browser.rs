//! The admin console in a real headless Chromium (Debian's `chromium`, driven through
//! `chromedriver`): sign in, edit a question's Vietnamese text, publish, see the new version in
//! the list and in the preview. Screenshots of each step are kept in target/screenshots/.

use crate::common;

use common::server::Harness;
use common::webdriver::{Driver, installed};
use sipas_bot::core::clock::Clock;
use sipas_bot::services::admin::auth;
use sipas_bot::storage::{Role, User};
use std::path::PathBuf;

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_changes_a_question_and_publishes_it_in_a_real_browser() {
    let Some((driver_path, browser_path)) = installed() else {
        assert!(
            std::env::var("SIPAS_REQUIRE_BROWSER").is_err(),
            "Chromium and chromedriver are required here (apt-get install chromium chromium-driver)"
        );
        eprintln!("chromium or chromedriver missing: browser test not run");
        return;
    };
    let harness = Harness::start().await;
    let user = User {
        login: "lan".into(),
        role: Role::Admin,
        agency_code: None,
        password_hash: auth::hash_password("Mật-khẩu-2026"),
        failed_attempts: 0,
        locked_until: None,
    };
    harness
        .db
        .create_user(&user, "test", harness.clock.now())
        .await
        .unwrap();
    let browser = Driver::start(&driver_path, &browser_path).await;
    let base = &harness.base;

    browser.goto(&format!("{base}/admin/flows")).await;
    assert!(
        browser.url().await.ends_with("/admin/login"),
        "no session: sent to sign in"
    );
    browser.type_into("input[name=login]", "lan").await;
    browser
        .type_into("input[name=password]", "Mật-khẩu-2026")
        .await;
    browser.screenshot(&shots().join("01-sign-in.png")).await;
    browser.click_and_wait("form button").await;
    assert!(browser.url().await.ends_with("/admin/flows"));
    let png = browser.screenshot(&shots().join("02-flows.png")).await;
    assert_eq!(&png[1..4], b"PNG");

    // The shipped version in force, and the draft made from it, one above.
    let shipped = sipas_bot::core::flow::builtin()
        .into_iter()
        .find(|f| f.id == "sipas-short")
        .unwrap()
        .version;
    let draft = shipped + 1;
    browser
        .click(&format!(
            "tr[data-flow='sipas-short'][data-version='{shipped}'] a"
        ))
        .await;
    browser
        .click_and_wait("form[action$='/draft'] button")
        .await;
    assert!(browser.text("#status").await.contains("bản nháp"));
    let new_text = "Ông/Bà thấy việc tìm thông tin và nơi làm thủ tục có dễ không?";
    browser
        .type_into(
            "form.question[data-question='access'] textarea[name=vi]",
            new_text,
        )
        .await;
    browser
        .click("form.question[data-question='access'] button")
        .await;
    browser
        .screenshot(&shots().join("03-draft-edited.png"))
        .await;
    browser.click_and_wait("#validate").await;
    assert!(browser.text("#valid").await.contains("hợp lệ"));
    browser.click_and_wait("#publish").await;
    assert!(browser.url().await.ends_with("/admin/flows"));
    let row = browser
        .text(&format!(
            "tr[data-flow='sipas-short'][data-version='{draft}']"
        ))
        .await;
    assert!(
        row.contains("đã công bố") && row.contains("đang dùng"),
        "{row}"
    );
    browser.screenshot(&shots().join("04-published.png")).await;

    browser
        .click(&format!(
            "tr[data-flow='sipas-short'][data-version='{draft}'] a"
        ))
        .await;
    browser.click_and_wait("a[href$='/preview']").await;
    let preview = browser.text(".preview[data-question='access']").await;
    assert!(preview.contains(new_text), "{preview}");
    assert!(preview.contains("Rất hài lòng"));
    browser.screenshot(&shots().join("05-preview.png")).await;
    assert!(
        browser.source().await.contains("Câu 1/8"),
        "every question of the flow is shown"
    );

    // The next invitation uses the new version.
    let token = harness.notice("HS-BROWSER", None).await;
    let invitation = harness.db.invitation(&token).await.unwrap().unwrap();
    let flow = harness
        .db
        .flow_version(invitation.flow_version_id)
        .await
        .unwrap()
        .flow;
    assert_eq!(
        (flow.version, flow.questions[0].text.vi.as_str()),
        (draft, new_text)
    );
    browser.quit().await;
    harness.finish().await;
}
