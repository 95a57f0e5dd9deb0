## Survey: what citizens read while answering.

survey-question-header = Question { $position }/{ $total }
survey-multiple-choice-help = Choose up to { $max }, then press “{ $done }”.
survey-option-picked = ✓ { $option }
survey-text-help = Type your comment (up to { $max } characters) or press “{ $skip }”.
survey-resumed = Please continue from where you stopped.

hint-unclear = Sorry, that answer is not clear. Please press a button, type its number, or type “{ $skip }”.
hint-too-long = Your comment is longer than { $max } characters. Please shorten it.
hint-too-many-choices = Please choose at most { $max }.
hint-nothing-selected = Nothing is chosen yet. Please choose at least one, then press “{ $done }”.
hint-no-previous = This is the first question; there is none before it.

## Invitations and dossiers.

invitation-dossier = Your dossier “{ $procedure }” at { $agency } was completed on { $date }.
invitation-unknown = This survey link is not valid. Please check the code on your receipt.
invitation-expired = This survey link has expired. Thank you for your interest.
invitation-completed = You have already completed the survey for this dossier. Thank you!
invitation-in-use = This survey link is already in use in another chat.
invitation-not-yours = Sorry, this survey is meant for the applicant and can be answered only from their own account.
update-failed = Sorry, a technical fault kept us from recording what you just did, and it has been reported to the agency. Please try again later.

## The terminal chat.

chat-paused = Your answers are saved. To continue, run: sipas-bot chat --token { $token }
chat-default-procedure = Administrative procedure

## Flow checks.

flow-valid = { $file }: valid (flow “{ $flow }” version { $version }, { $questions } questions).
flow-problem-in-question = { $file }: question “{ $question }”: { $problem }
flow-problem-in-flow = { $file }: { $problem }
flow-problem-empty-id = the id is missing.
flow-problem-bad-id = the id “{ $id }” is not allowed: it must start with a lower-case letter (a–z) and hold only lower-case letters, digits and “_”, at most 32 characters (an option id at most 24; a flow id may also hold “-” and “.”, up to 64).
flow-problem-bad-version = the version must be a whole number from 1 (it is { $version }).
flow-problem-no-questions = the flow has no questions.
flow-problem-duplicate-question = the question id is used twice.
flow-problem-duplicate-factor = the factor id “{ $factor }” is used twice.
flow-problem-duplicate-option = the option id “{ $option }” is used twice.
flow-problem-unknown-factor = the factor “{ $factor }” is not among the flow's factors.
flow-problem-condition-unknown-question = the condition refers to the question “{ $target }”, which does not exist.
flow-problem-condition-later-question = the condition refers to the question “{ $target }”, which is not earlier than this one.
flow-problem-condition-unknown-value = the condition uses the value “{ $value }”, which the question “{ $target }” cannot have.
flow-problem-missing-vietnamese = the Vietnamese text of “{ $field }” is missing.
flow-problem-no-options = the choice question has no options.
flow-problem-bad-max-choices = the maximum number of choices ({ $max }) must be between 1 and the number of options ({ $options }).
flow-problem-bad-max-length = the maximum answer length must be more than 0.
flow-problem-factor-without-question = no question scores the factor “{ $factor }”.
flow-problem-scale-levels = the scale must have exactly 5 levels, 1 to 5.

## Satisfaction summaries.

summary-empty = There is no data to summarize yet.
summary-no-data = no data yet
summary-title = SATISFACTION INDEX (SIPAS): { $agency }
summary-counts = Invitations: { $invitations } · Responses: { $responses } (rate { $rate }) · Declined: { $declines }
summary-overall = Overall SIPAS index: { $index }
summary-factor = • { $factor }: { $index }
summary-units = By unit:
summary-unit = – { $agency } ({ $code }): { $index }, { $responses } responses

demo-progress = Simulating citizens' answers

## Admin commands and errors.

migrate-done = The database schema is up to date.
totals-rebuilt-same = Totals recomputed from the answers: they match the running totals ({ $responses } response rows, { $answers } answer rows, { $invitations } invitation rows).
totals-rebuilt-changed = Totals recomputed from the answers; the running totals had drifted and are now corrected ({ $responses } response rows, { $answers } answer rows, { $invitations } invitation rows).
error-label = Error
error-setting = the setting { $name } = “{ $value }” is not valid: { $expected }
setting-expect-language = it must be vi or en.
setting-expect-positive-days = it must be a positive whole number of days.
setting-expect-positive-count = it must be a positive whole number.
error-file = cannot read or write { $path }: { $reason }
error-flow-syntax = the flow file { $file } has a syntax error: { $reason }
error-flow-invalid = the flow has { $count } problems (listed above).
error-unknown-flow = there is no flow “{ $flow }”.
error-database-scheme = DATABASE_URL uses the unsupported scheme “{ $scheme }” (only sqlite: or postgres:).
error-data-directory = cannot create or write the data directory { $path }: { $reason }
error-database-connect = cannot connect to the database: { $reason }
error-database-migrate = cannot migrate the database: { $reason }
error-flow-version-differs = flow “{ $flow }” version { $version } is already published with other content; raise the version number.
error-database = database error: { $reason }

## Telegram.

tg-welcome = Hello! This is the satisfaction survey for public administrative services. Please open the link in your dossier-completion notice or scan the QR code on your receipt to begin.
tg-help =
    Answer by pressing a button, typing a number (5 is Very satisfied, 1 is Very dissatisfied) or typing words such as “satisfied”, “skip”, “back”.
    /cancel: pause; open the survey link again to continue.
    /xoa: delete the answers you sent.
    /help: show this help.
tg-no-survey = You have no survey in progress. Please open the link in your notice or scan the QR code on your receipt.
tg-paused = Paused; your answers are saved. Open the survey link again when convenient to continue.
tg-invitation-opened = Hello!
tg-notice = Your dossier has been completed.
tg-reminder = A reminder about the satisfaction survey.
tg-invitation-ask = Please take 1–2 minutes to tell us how satisfied you are. The agency reads your answers and comments, without your name, phone number or ID number. Your answers help the agency serve you better.
tg-button-start = Start
tg-button-later = Later
tg-button-decline = No, thanks
tg-later-ack = We will remind you at { $time } on { $date }.
tg-later-no-reminder = Please open the survey link again when convenient.
tg-decline-ack = Thank you. We will not send more messages about this dossier.
tg-stale-button = This question has been answered already; nothing changed.
tg-answered =
    { $question }
    ✓ { $answer }

## Notice intake API.

intake-error-not-object = must be a JSON object.
intake-error-missing = this field is required.
intake-error-empty = must not be empty.
intake-error-too-long = is too long.
intake-error-not-string = must be a string.
intake-error-channel = must be direct, online or postal.
intake-error-time = must be an RFC 3339 time, e.g. 2026-11-16T15:00:00+07:00.
intake-error-chat-id = must be a Telegram chat id.
intake-error-zalo-user-id = must be a Zalo user id (digits only).
intake-error-phone = must be a Vietnamese mobile number, e.g. 0912 345 678 or +84 912 345 678.
http-error-unauthorized = Missing or wrong token (Authorization: Bearer …).
http-error-rate-limited = Too many notices. Please retry in { $seconds } seconds.
http-error-timed-out = The request took too long. Please send it again.
http-error-invalid-json = The body is not valid JSON: { $detail }
http-error-internal = The service cannot handle the request right now; please retry later.
http-error-agency-not-allowed = This token may only post notices for the agency “{ $scope }” and the units under it; the agency “{ $agency }” is outside.

## The intake-client command: the systems that post notices, each with a token of its own.

intake-client-added = Added the intake client “{ $name }” (scope: { $scope }). Its token (Authorization: Bearer …):
intake-client-token-once = This token is shown only once and is not stored; keep it now. If it is lost, revoke the client (intake-client revoke) and add a new one.
intake-client-scope-all = all
intake-client-bad-name = the name “{ $name }” is not valid: it must be 1–64 of a–z, digits, “_”, “.” or “-”, starting with a letter or a digit.
intake-client-exists = there is already an intake client named “{ $name }” (revoked ones included); choose another name.
intake-client-unknown = there is no intake client named “{ $name }”.
intake-client-revoked = Revoked “{ $name }”: its token stops working at once.
intake-client-already-revoked = “{ $name }” was already revoked at { $at }; nothing changed.
intake-client-list-empty = No intake clients yet.
intake-client-list-row = { $name } · scope: { $scope } · created { $created } · { $state }
intake-client-active = active
intake-client-revoked-at = revoked at { $at }

## The serve and notice commands.

error-telegram = cannot reach the Telegram Bot API: { $reason }
error-api = the API refused the notice: { $reason }
setting-expect-bot-token = it must be a Telegram bot token such as 123456:ABC… (from BotFather).
setting-expect-url = it must be a full URL (http:// or https://).
setting-expect-https-url = it must be an https:// URL, so the bot token never travels in clear (http:// only for a loopback address such as 127.0.0.1 or localhost).
setting-expect-socket-address = it must be an IP address with a port, e.g. 127.0.0.1:8080.
setting-expect-intake-token = it must be a secret of at least 16 characters.
setting-expect-webhook-secret = it must be 16–256 letters, digits, “_” or “-” (a short secret can be guessed).
setting-expect-mode = it must be polling or webhook.
setting-expect-positive-hours = it must be a positive whole number of hours.
serve-started = Serving: API at http://{ $addr }, Telegram bot @{ $bot }. Press Ctrl+C to stop.

## Weekly summaries for officials.

weekly-title = 📊 SIPAS WEEKLY SUMMARY { $week } ({ $from } – { $to })
weekly-scope = { $agency } and the units under it
weekly-counts = Invitations: { $invitations } · Responses: { $responses } (rate { $rate }) · Declined: { $declines } · Undeliverable: { $undeliverable }
weekly-flagged = ⚑ { $count } responses flagged (one account answering many dossiers, or answers faster than anyone reads): stored, not counted in the index.
weekly-withdrawn = { $count } people withdrew their answers (counted as not answered in the response rate).
weekly-overall = Overall SIPAS index: { $index }{ $change }{ $margin }
weekly-up = , up { $points } points
weekly-down = , down { $points } points
weekly-same = , unchanged
weekly-margin = , margin of error ±{ $margin } points
weekly-points = In points: { $points }/{ $maximum }
weekly-factors = Factors:
weekly-factor = • { $factor }: { $index }{ $change }
weekly-weakest = Weakest criteria:
weekly-criterion = • { $criterion } — { $rate }
weekly-units = Units ranked:
weekly-unit = • { $agency }: { $index } (rank { $rank }/{ $of }, { $responses } responses){ $extra }
weekly-small-units = Too few responses to rank: { $units }
weekly-expectations = Top expectations: { $expectations }
weekly-comments = Recent comments:
weekly-comment = “{ $comment }”
weekly-too-small = ⚠ Fewer than { $minimum } responses: too few to conclude.
summary-title-month = 📊 SIPAS MONTHLY SUMMARY { $week } ({ $from } – { $to })
summary-title-quarter = 📊 SIPAS QUARTERLY SUMMARY { $week } ({ $from } – { $to })
summary-title-year = 📊 SIPAS YEARLY REPORT { $week } ({ $from } – { $to })
summary-trend = Trend: { $trend }
summary-trend-first-week = Trend: the first week with data
summary-trend-first-month = Trend: the first month with data
summary-trend-first-quarter = Trend: the first quarter with data
summary-trend-first-year = Trend: the first year with data
summary-unit-points = , { $points }/{ $maximum } points
summary-more-units = … and { $count } other units
summary-other-units = and { $count } other units
summary-procedures-busiest = Procedures with the most responses:
summary-procedures-lowest = Lowest-rated procedures (at least { $minimum } responses):
summary-procedure = • { $procedure }: { $index }{ $margin } ({ $responses } responses)
chart-title = SIPAS index { $week }
chart-overall = Overall
chart-trend = Trend
chart-target = Target { $target }
chart-units = Units ranked
chart-margin-note = Black whiskers: 95% margin of error
flow-problem-alert-unknown-value = the alert value “{ $value }” is not a possible answer to this question.
flow-problem-contact-question = the contact-consent question “{ $target }” must be a yes/no question of the flow.

## Subscriptions and alerts.

official-help =
    Commands for officials:
    /subscribe CODE: receive the weekly SIPAS summary, with a code from an admin.
    /report: the summary of the current week so far.
    /unsubscribe: stop the summaries (group administrators only).
subscribe-usage = Please send the subscription code too, e.g. /subscribe ABCD-EFGH-JKMN
subscribe-done = Subscribed to the weekly SIPAS summary of { $agency } and the units under it, sent on { $weekday } at { $hour }.
subscribe-unknown = This subscription code is not valid. Please check it with your administrator.
subscribe-expired = This subscription code has expired. Please ask your administrator for a new one.
subscribe-used = This subscription code has been used already. Each code works once.
unsubscribe-done = This chat no longer receives summaries.
unsubscribe-not-admin = Only the group's administrators can unsubscribe it.
report-not-subscribed = This chat has no subscription.
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
alert-title = ⚠ ALERT from a citizen's response
alert-where = Agency: { $agency } · Procedure: { $procedure }
alert-item = • { $question } → { $answer }
alert-contact = The citizen agreed to be contacted about this. Dossier: { $dossier }
alert-no-contact = The citizen did not ask to be contacted; their identity stays confidential.
subscription-code-created = Subscription code: { $code } (for { $agency }, expires { $expires }). In a Telegram group or channel with the bot, send: /subscribe { $code }
subscription-list-empty = No subscriptions yet.
subscription-list-row = #{ $id } · { $chat } · { $agency } · { $schedule } · next: { $next } · { $state }
subscription-active = active
subscription-inactive = ended
error-unknown-agency = there is no agency “{ $agency }”.
error-bad-week = the week “{ $week }” is not valid; use the form 2026-W47.
error-bad-period = the period “{ $period }” is not valid; use 2026 (a year), 2026-Q3 (a quarter), 2026-11 (a month) or 2026-W47 (a week).
xlsx-sheet-summary = Summary
xlsx-sheet-answers = Answers
xlsx-sheet-units = Units
xlsx-sheet-procedures = Procedures
xlsx-code = Code
xlsx-name = Name
xlsx-index = Index
xlsx-rank = Rank
xlsx-points = Points
xlsx-change = Change (points)
xlsx-margin = 95% margin
xlsx-week = Week
xlsx-invitations = Invitations
xlsx-responses = Responses
xlsx-response-rate = Response rate
xlsx-overall = Overall SIPAS index
xlsx-response = Response
xlsx-agency = Agency code
xlsx-submitted = Submitted
xlsx-question = Question
xlsx-kind = Kind
xlsx-answer = Answer
xlsx-caption = Data of week { $week } (XLSX)
setting-expect-tick = it must be a number of seconds from 1 to 86400.
setting-expect-messages-per-second = it must be a number of messages per second from 1 to 1000.
setting-expect-chat-messages-per-second = it must be a number of messages per second from 0.05 to 30.
setting-expect-lease = it must be a number of seconds from 5 to 3600.

## Administration.

import-error-header = the header must have the columns code, name, parent_code, level.
import-error-row = the row cannot be read.
import-error-code = the agency code is missing.
import-error-name = the agency name is missing.
import-error-level = the level must be tinh (province), so (department), xa (commune; also phuong, dac khu); huyen only for data from before 1 July 2025.
import-error-duplicate = the agency code appears twice in the file.
import-error-own-parent = an agency cannot be its own parent.
import-error-parent = the parent agency does not exist.
import-error-cycle = this parent would make a cycle: { $cycle }.
import-report = Imported { $accepted } agencies, rejected { $rejected } rows.
import-rejected-row = Line { $line } ({ $code }): { $reason }
admin-added = Created the account “{ $login }” ({ $role }). One-time password: { $password }
admin-exists = the account “{ $login }” exists already.
admin-needs-agency = the manager role needs --agency (the agency it manages).
flow-published = Published flow “{ $flow }” version { $version }; new invitations use it.
flow-list-row = { $flow } v{ $version } · { $status }{ $current } · { $responses } responses · { $title }
flow-list-current = {" "}(in force)
error-unknown-flow-version = there is no flow “{ $flow }” version { $version }.

## The admin console.

admin-add = Add
admin-add-question = Add a question
admin-agencies-title = Agencies
admin-agency = Agency
admin-all-agencies = All agencies (default)
admin-assign = Assign flow
admin-assignments = Flows by agency
admin-audit-title = Audit log
admin-code = Code
admin-current = in force
admin-delete = Delete
admin-diff = Compare with the previous version
admin-diff-none = There is no earlier version to compare with.
admin-diff-same = No question changed.
admin-diff-title = Changes from { $from } to { $to }
admin-error-admin-only = Only administrators can do this.
admin-error-csrf = The form has expired or is not valid. Please reload the page and try again.
admin-error-locked = The account is locked after too many failed sign-ins. Please try again in 15 minutes.
admin-error-not-validated = Validate before publishing.
admin-error-not-yours = Your account does not manage this.
admin-error-published = A published version cannot change; start a new draft.
admin-error-sign-in = Wrong login or password.
admin-error-title = Something went wrong
admin-error-viewer = A read-only account cannot change anything.
admin-factor = Factor (scale questions)
admin-flow = Flow
admin-flows-title = Flows and versions
admin-forbidden-title = Not allowed
admin-import = Import CSV
admin-import-help = Paste CSV (code,name,parent_code,level)
admin-invalid = The flow is not valid yet:
admin-invitations = Invitations
admin-issue-code = Issue a subscription code
admin-kind = Kind
admin-level = Level
admin-login = Login
admin-name = Name
admin-nav-agencies = Agencies
admin-nav-audit = Audit log
admin-nav-flows = Flows
admin-nav-subscriptions = Subscriptions
admin-new-draft = Start a new draft from this version
admin-not-found = Not found.
admin-open = Open
admin-options-help = Options (one per line: id|Vietnamese|English)
admin-parent = Parent
admin-password = Password
admin-preview = Preview as a citizen
admin-preview-title = Preview: { $flow }
admin-publish = Publish
admin-question-id = Question id
admin-questions = Questions
admin-responses = Responses
admin-rollback = Put this version back in force
admin-save = Save
admin-sign-in = Sign in
admin-sign-in-title = SIPAS admin sign-in
admin-sign-out = Sign out
admin-status = Status
admin-status-draft = draft
admin-status-validated = validated
admin-status-published = published
admin-role-admin = admin
admin-role-manager = agency manager
admin-role-viewer = viewer
admin-subscriptions-title = Subscriptions
admin-text-en = English text
admin-text-vi = Vietnamese text
admin-title = Title
admin-valid = The flow is valid and can be published.
admin-validate = Validate
admin-version = Version
admin-condition-help = Only ask when (question id=value,value); empty to always ask
setting-expect-config-file = it must be the path of a readable configuration file.
setting-expect-config-line = every line must be NAME=value (the name in capitals).
admin-by-version = Responses by agency and flow version
admin-nav-users = Users
admin-nav-password = Change password
admin-password-title = Change password
admin-password-must-change = Please change the password you were given before using the console.
admin-password-current = Current password
admin-password-new = New password (at least { $min } characters)
admin-password-repeat = Repeat the new password
admin-error-password-current = The current password is wrong.
admin-error-password-short = The new password needs at least { $min } characters.
admin-error-password-same = The new password must differ from the current one.
admin-error-password-repeat = The two new passwords do not match.
admin-users-title = Users
admin-role = Role
admin-user-active = active
admin-user-disabled = disabled
admin-disable = Disable account
admin-user-disabled-done = Account “{ $login }” is disabled and all its sessions have ended.
admin-error-disable-self = You cannot disable your own account.
admin-error-unpublished-flow = Flow “{ $flow }” has no published version yet, so it cannot be assigned. Please publish a version first.
setting-expect-zalo-id = it must be the numeric id Zalo issued.
setting-expect-zalo-secret = it must be the secret key from the Zalo app's management page.
setting-expect-boolean = it must be true or false.
zalo-typed-option = { $key }. { $label }
zalo-typed-fallback = You can also type: { $keys }.
zalo-phone-invalid = The phone number is not valid. Please enter a Vietnamese mobile number, for example 0912 345 678.
zalo-welcome = Hello! This is the satisfaction survey of public administrative services. To begin, please send the survey code printed under the QR code on your receipt (for example ABCD-EFGH).
zalo-no-survey = You have no survey in progress. Please send the survey code printed under the QR code on your receipt (for example ABCD-EFGH).
zalo-code-unknown = This survey code is not right. Please check the code printed on your receipt.
zalo-code-expired = This survey code has expired. Thank you for your interest.
zalo-code-used = This survey code has already been used by another Zalo account.
zalo-code-too-many = Too many wrong codes. Please try again in an hour.
zalo-stale-button = That question has already been answered. Please answer the current question.
zalo-invitation = Your dossier “{ $procedure }” at { $agency } has been completed. Please take 1–2 minutes to tell us how satisfied you are. The agency reads your answers and comments, without your name, phone number or ID number. Your answers help the agency serve you better.
zalo-button-start = Start the survey
zalo-reminder = A reminder about the satisfaction survey. Please continue where you left off.
tg-withdraw-confirm = Are you sure you want to delete every answer sent from this chat? Once deleted, they no longer count and cannot be restored.
tg-withdraw-yes = Delete my answers
tg-withdraw-no = Keep them
tg-withdraw-done = Your answers are deleted and no longer linked to this chat. Thank you.
tg-withdraw-nothing = There are no answers from this chat to delete.
tg-withdraw-kept = Your answers are kept as they are.
tg-withdraw-offer = Delete my answers
admin-nav-flags = Flagged responses
admin-flags-title = Flagged responses
admin-flags-help = These responses are stored but not counted in the index. Clear a flag once you have checked that the response is genuine; clearing is written to the audit log.
admin-flags-none = No response is flagged.
admin-flag-dossier = Dossier
admin-flag-procedure = Procedure
admin-flag-day = Day
admin-flag-reason = Reason
admin-flag-many-dossiers = One account answered too many dossiers in 30 days
admin-flag-too-fast = Answered faster than anyone reads
admin-flag-clear = Clear the flag
admin-flag-cleared = Flag cleared: the response counts in the index.
admin-flag-not-found = This response is no longer flagged.

## Monthly and yearly subscriptions; summary settings.
subscribe-done-month = Subscribed to the monthly SIPAS summary of { $agency } and the units under it, sent on the 1st of each month at { $hour }.
subscribe-done-year = Subscribed to the yearly SIPAS summary of { $agency } and the units under it, sent on 1 January at { $hour }.
schedule-month = 1st of each month { $hour }
schedule-year = 1 January { $hour }
xlsx-caption-month = Data of month { $week } (XLSX)
xlsx-caption-year = Data of year { $week } (XLSX)
setting-expect-target = must be a target index, as a fraction (0.9) or a percentage (90), above 0 and at most 100%.

## The console's results page.
admin-nav-results = Results
admin-results-title = Survey results
admin-results-period = Period
admin-results-kind-week = Week
admin-results-kind-month = Month
admin-results-kind-quarter = Quarter
admin-results-kind-year = Year
admin-results-show = Show
admin-results-xlsx = Download XLSX
admin-results-csv = Download CSV
admin-results-chart = SIPAS index chart
admin-results-figure = Index
admin-results-counts = Invitations: { $invitations } · Responses: { $responses } · Response rate: { $rate }
admin-results-lowest-rule = The lowest-rated procedures (highlighted) only count procedures with at least { $count } responses.
admin-results-bad-period = This period is not valid.
admin-results-bad-period-text = The period “{ $period }” is not valid; use 2026-W47, 2026-11, 2026-Q3 or 2026.
xlsx-procedure = Procedure

## The end of the demo: what it wrote and what to run next.
demo-files =
    Chart written to: { $chart }
    Workbook written to: { $workbook }
demo-explore = Explore the simulated data next (each command carries the right DATABASE_URL):
demo-console = The console: create an account with “admin add” above, run “serve” (needs a Telegram bot token), then open http://127.0.0.1:8080/admin/results

# Citizens' service on Zalo (issue 16): the same choices as on Telegram
zalo-help =
    Answer by pressing a button, typing a number (5 is Very satisfied, 1 is Very dissatisfied) or typing words such as “satisfied”, “skip”, “back”.
    /cancel: pause; send the survey code again to continue.
    /xoa: delete the answers you sent.
    /help: show this help.
zalo-paused = Paused, and your answers are saved. When convenient, send the survey code printed on your receipt again or press “Start the survey” to continue.
zalo-later-no-reminder = Certainly. When convenient, press “Start the survey” or send the survey code printed on your receipt to answer.
zalo-stale-choice = This choice is no longer open; nothing was changed.
# Citizens' service: a press on a superseded question (issue 16)
citizen-superseded-open = (Please answer this question in the newest message below.)
citizen-moved-on = Please answer in the newest message; nothing was changed.
# Zalo: go-live check, pause, settings (Zalo protocol engineer)
setting-expect-zalo-url = it must be an https address (plain http only for a loopback host, 127.0.0.1/localhost).
setting-expect-zalo-template-mode = it must be “development” (sent only to the OA's admins) or “production”.
setting-expect-zalo-event-age = it must be a number of hours from 1 to 168.
admin-zalo-paused = The Zalo channel has been paused since { $since } by a configuration error ({ $host } { $code }: { $reason }). Messages are kept and will go once resumed. Fix the cause (OA package, app permissions, template, balance, re-authorize the OA), then press “Resume Zalo sending”.
admin-zalo-resume = Resume Zalo sending
admin-zalo-resume-hint = An admin can resume with the button on this page or with “sipas-bot zalo resume”.
# Security (issue 18): tenant rules, intake content, sign-in
http-error-dossier-exists = This dossier code was posted before, within another system's scope.
http-error-dossier-differs = This dossier code was posted before with different content; nothing changed.
http-error-dossier-field-differs = differs from the stored dossier; nothing changed.
intake-error-code-chars = must be printable ASCII letters, digits and signs, without spaces.
intake-error-hidden-chars = contains a control or text-direction character.
intake-error-name-too-long = is longer than 200 characters.
intake-error-name-link = must not contain a link, a domain name or an account name (@…).
intake-error-time-range = must lie between the year 2000 and one day from now.
setting-expect-idle-minutes = it must be a number of minutes from 1 to 1440.
report-cooldown = A report was just sent. Please try again in { $seconds } seconds.
## Validity (issue 19): the index weighted to the dossiers, response rates per channel and unit.
weekly-weighted = Overall SIPAS index (weighted to dossiers): { $index }{ $change }{ $margin }{ $unweighted }
weekly-unweighted = {" "}(unweighted: { $index })
weekly-weighted-why-lower = Why they differ: { $channel } dossiers are { $dossiers } of all dossiers but only { $responses } of the responses, and their index ({ $index }) is lower; the unweighted index leans toward the groups that answer most, the weighted one counts each unit and channel by its own dossiers.
weekly-weighted-why-higher = Why they differ: { $channel } dossiers are { $dossiers } of all dossiers but only { $responses } of the responses, and their index ({ $index }) is higher; the unweighted index leans toward the groups that answer most, the weighted one counts each unit and channel by its own dossiers.
weekly-no-response-units = Units with dossiers and no response (left out of the weighted index): { $units }
weekly-reach-channels = Response rate by submission channel: { $channels }
weekly-reach-units = Lowest response rates by unit: { $units }
weekly-reach-item = { $name } { $rate } ({ $responses }/{ $dossiers } dossiers{ $delivered })
weekly-reach-delivered = , delivered { $rate }
channel-direct = Walk-in
channel-online = Online
channel-postal = Postal
xlsx-weighted = Overall SIPAS index (weighted to dossiers)
xlsx-weighted-margin = 95% margin of the weighted index
xlsx-sheet-strata = Strata
xlsx-channel = Channel
xlsx-dossiers = Dossiers
xlsx-weight = Weight
xlsx-units-without-responses = Units with dossiers and no response
chart-weighted = Weighted
summary-trend-plain = Trend (unweighted): { $trend }
weekly-themes = Top comment themes: { $themes }
weekly-theme = { $theme } { $count } ({ $share }{ $change })
xlsx-sheet-themes = Comment themes
xlsx-theme = Theme
xlsx-count = Count
xlsx-share = Share
xlsx-examples = Examples (masked)
themes-ok = The themes file is valid: { $count } themes ({ $names }).
themes-error = Themes file “{ $path }”, line { $line }: { $problem }
themes-error-unreadable = Cannot read the themes file “{ $path }”: { $reason }
themes-problem-syntax = not TOML or not the expected shape ([[theme]] with id, name, phrases, options): { $detail }
themes-problem-none = the file has no theme ([[theme]]).
themes-problem-bad-id = the theme id “{ $id }” may hold only lower-case ASCII letters, digits and underscores.
themes-problem-duplicate = the theme id “{ $id }” is used twice.
themes-problem-no-name = the theme “{ $id }” has no name.
themes-problem-no-phrases = the theme “{ $id }” has no phrase.
themes-problem-empty-phrase = the theme “{ $id }” has an empty phrase.
themes-problem-no-other = the theme “other” is missing (for comments matching no theme).
zalo-check-not-configured = The Zalo channel is not configured (ZALO_APP_ID is not set).
zalo-check-title = Zalo OA go-live check (no message is sent):
zalo-check-token-ok = The access token was refreshed; the new refresh token is stored.
zalo-check-token-failed = The access token could not be refreshed ({ $code } { $reason }). Authorize the app for the OA again and set a new ZALO_REFRESH_TOKEN.
zalo-check-oa-verified = OA “{ $name }” is verified.
zalo-check-oa-not-verified = OA “{ $name }” is not verified: the Open API needs a verified OA.
zalo-check-oa-failed = The OA's profile could not be read ({ $code } { $reason }): the OA package may lack the Open API (-224 asks for an upgrade) or the OA has not authorized the app.
zalo-check-oa-package = OA package: { $package }. Confirm it includes the Open API and a quota of billed consultation messages.
zalo-check-oa-package-unknown = Zalo does not say which package the OA has: confirm on the OA's page that it includes the Open API.
zalo-check-manual-permissions = Check by hand: the OA authorized the app to send messages and receive events, “user_feedback” included.
zalo-check-manual-webhook = Check by hand: the webhook URL (…/zalo/webhook) is set and its domain verified.
zalo-check-manual-autoreply = Check by hand: the OA's own automatic replies are off, so they do not talk over the survey.
zalo-check-template-none = No invitation template is configured (ZALO_INVITATION_TEMPLATE_ID): invitations by phone cannot be sent.
zalo-check-template-failed = Template { $template } could not be read ({ $code } { $reason }).
zalo-check-template-approved = Template { $template } is approved.
zalo-check-template-not-approved = Template { $template } cannot be used (status: { $status }): Zalo must approve it first.
zalo-check-template-params = Template { $template }'s parameters match those the bot sends.
zalo-check-template-params-differ = Template { $template }'s parameters differ: the template also needs { $missing }; the bot sends { $unknown }, which the template lacks.
zalo-check-template-price = Template { $template } price: { $price }.
zalo-check-mode-production = Template mode: production (sent to citizens).
zalo-check-mode-development = Template mode: development (only the OA's admins receive templates). Set ZALO_TEMPLATE_MODE=production to go live.
zalo-check-paused = The Zalo sender is paused ({ $host } { $code }: { $reason }): fix it, then run “sipas-bot zalo resume”.
zalo-check-storage = The database could not be read: { $error }
zalo-check-blocked = Not ready to go live: fix the items marked ✗ and check those marked ? by hand.
zalo-check-ready = Nothing blocks go-live; check the items marked ? by hand.
zalo-resumed = Zalo sending resumed (it was paused by { $host } { $code }: { $reason }). Waiting messages go now.
zalo-not-paused = The Zalo sender is not paused.
setting-expect-secret-key = it must be 64 hexadecimal characters (32 random bytes, e.g. from “openssl rand -hex 32”); required with Zalo, to encrypt Zalo's tokens in the database.
zalo-reseeded = The broken refresh chain was replaced by the new ZALO_REFRESH_TOKEN.
zalo-reseed-same = The Zalo sender was paused because Zalo refused the refresh token, but ZALO_REFRESH_TOKEN is still the old one: authorize the app for the OA again, set the new ZALO_REFRESH_TOKEN, then run this again.
totals-drifted = Tables that had drifted: { $tables }.
