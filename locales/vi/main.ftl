## Khảo sát: các câu chữ người dân đọc trong lúc trả lời.

survey-question-header = Câu { $position }/{ $total }
survey-multiple-choice-help = Ông/Bà chọn tối đa { $max } ý, rồi bấm “{ $done }”.
survey-option-picked = ✓ { $option }
survey-text-help = Ông/Bà gõ ý kiến (tối đa { $max } ký tự) hoặc bấm “{ $skip }”.
survey-resumed = Mời Ông/Bà tiếp tục từ câu đang trả lời dở.

hint-unclear = Xin lỗi, chưa rõ câu trả lời. Ông/Bà vui lòng bấm một nút, gõ số tương ứng hoặc gõ “{ $skip }”.
hint-too-long = Ý kiến dài quá { $max } ký tự. Ông/Bà vui lòng viết ngắn gọn hơn.
hint-too-many-choices = Ông/Bà chỉ chọn tối đa { $max } ý.
hint-nothing-selected = Ông/Bà chưa chọn ý nào. Vui lòng chọn ít nhất một ý rồi bấm “{ $done }”.
hint-no-previous = Đây là câu hỏi đầu tiên, không có câu trước để quay lại.

## Lời mời và hồ sơ.

invitation-dossier = Hồ sơ “{ $procedure }” tại { $agency } đã hoàn thành ngày { $date }.
invitation-unknown = Đường dẫn khảo sát không đúng hoặc không còn tồn tại. Ông/Bà vui lòng kiểm tra lại mã trên phiếu hẹn.
invitation-expired = Đường dẫn khảo sát này đã hết hạn. Cảm ơn Ông/Bà đã quan tâm.
invitation-completed = Ông/Bà đã hoàn thành khảo sát cho hồ sơ này. Xin cảm ơn!
invitation-in-use = Đường dẫn khảo sát này đang được dùng ở một cuộc trò chuyện khác.
invitation-not-yours = Xin lỗi Ông/Bà, khảo sát này dành riêng cho người nộp hồ sơ nên chỉ có thể trả lời từ tài khoản của người đó.
update-failed = Xin lỗi Ông/Bà, hệ thống chưa ghi nhận được thao tác vừa rồi do một lỗi kỹ thuật, và lỗi đã được báo cho cơ quan. Xin Ông/Bà thử lại sau.

## Trò chuyện trên dòng lệnh.

chat-paused = Đã lưu các câu trả lời. Để tiếp tục, chạy: sipas-bot chat --token { $token }
chat-default-procedure = Thủ tục hành chính

## Kiểm tra bộ câu hỏi.

flow-valid = { $file }: hợp lệ (bộ câu hỏi “{ $flow }” phiên bản { $version }, { $questions } câu hỏi).
flow-problem-in-question = { $file }: câu hỏi “{ $question }”: { $problem }
flow-problem-in-flow = { $file }: { $problem }
flow-problem-empty-id = thiếu mã (id).
flow-problem-bad-id = mã “{ $id }” không hợp lệ: cần bắt đầu bằng chữ thường (a–z), chỉ gồm chữ thường không dấu, chữ số và “_”, tối đa 32 ký tự (mã lựa chọn: tối đa 24 ký tự; mã quy trình được có thêm “-”, “.” và dài tối đa 64 ký tự).
flow-problem-bad-version = phiên bản phải là số nguyên từ 1 trở lên (đang là { $version }).
flow-problem-no-questions = bộ câu hỏi chưa có câu hỏi nào.
flow-problem-duplicate-question = mã câu hỏi bị trùng.
flow-problem-duplicate-factor = mã yếu tố “{ $factor }” bị trùng.
flow-problem-duplicate-option = mã lựa chọn “{ $option }” bị trùng.
flow-problem-unknown-factor = yếu tố “{ $factor }” không có trong danh sách yếu tố.
flow-problem-condition-unknown-question = điều kiện hiển thị dựa vào câu hỏi “{ $target }” không tồn tại.
flow-problem-condition-later-question = điều kiện hiển thị dựa vào câu hỏi “{ $target }” đứng sau hoặc chính là câu này.
flow-problem-condition-unknown-value = điều kiện hiển thị dùng giá trị “{ $value }” mà câu “{ $target }” không có.
flow-problem-missing-vietnamese = thiếu nội dung tiếng Việt ở “{ $field }”.
flow-problem-no-options = câu hỏi lựa chọn chưa có phương án nào.
flow-problem-bad-max-choices = số ý được chọn tối đa ({ $max }) phải từ 1 đến số phương án ({ $options }).
flow-problem-bad-max-length = độ dài tối đa của câu trả lời phải lớn hơn 0.
flow-problem-factor-without-question = yếu tố “{ $factor }” chưa có câu hỏi nào chấm điểm.
flow-problem-scale-levels = thang đo phải có đúng 5 mức, từ 1 đến 5.

## Báo cáo chỉ số hài lòng.

summary-empty = Chưa có dữ liệu để tổng hợp.
summary-no-data = chưa có dữ liệu
summary-title = CHỈ SỐ HÀI LÒNG (SIPAS): { $agency }
summary-counts = Lời mời: { $invitations } · Phản hồi: { $responses } (tỷ lệ { $rate }) · Từ chối: { $declines }
summary-overall = Chỉ số SIPAS chung: { $index }
summary-factor = • { $factor }: { $index }
summary-units = Theo đơn vị:
summary-unit = – { $agency } ({ $code }): { $index }, { $responses } phản hồi

demo-progress = Mô phỏng người dân trả lời

## Lệnh quản trị và lỗi.

migrate-done = Đã cập nhật cấu trúc cơ sở dữ liệu.
totals-rebuilt-same = Đã tính lại số liệu tổng hợp từ các câu trả lời: khớp với số liệu đang dùng ({ $responses } dòng phản hồi, { $answers } dòng câu trả lời, { $invitations } dòng lời mời).
totals-rebuilt-changed = Đã tính lại số liệu tổng hợp từ các câu trả lời và sửa chỗ lệch so với số liệu đang dùng ({ $responses } dòng phản hồi, { $answers } dòng câu trả lời, { $invitations } dòng lời mời).
error-label = Lỗi
error-setting = thiết lập { $name } = “{ $value }” không hợp lệ: { $expected }
setting-expect-language = cần là vi hoặc en.
setting-expect-positive-days = cần là số ngày nguyên dương.
setting-expect-positive-count = cần là số nguyên dương.
error-file = không đọc/ghi được { $path }: { $reason }
error-flow-syntax = tệp bộ câu hỏi { $file } sai cú pháp: { $reason }
error-flow-invalid = bộ câu hỏi có { $count } lỗi (xem ở trên).
error-unknown-flow = không có bộ câu hỏi “{ $flow }”.
error-database-scheme = DATABASE_URL dùng giao thức “{ $scheme }” không được hỗ trợ (chỉ sqlite: hoặc postgres:).
error-data-directory = không tạo hoặc ghi được thư mục dữ liệu { $path }: { $reason }
error-database-connect = không kết nối được cơ sở dữ liệu: { $reason }
error-database-migrate = không cập nhật được cấu trúc cơ sở dữ liệu: { $reason }
error-flow-version-differs = bộ câu hỏi “{ $flow }” phiên bản { $version } đã công bố với nội dung khác; hãy tăng số phiên bản.
error-database = lỗi cơ sở dữ liệu: { $reason }

## Telegram.

tg-welcome = Xin chào Ông/Bà! Đây là kênh khảo sát mức độ hài lòng về dịch vụ hành chính công. Ông/Bà vui lòng mở đường dẫn trong thông báo hoàn thành hồ sơ hoặc quét mã QR trên phiếu hẹn để bắt đầu.
tg-help =
    Ông/Bà trả lời bằng cách bấm nút, gõ số (5 là Rất hài lòng, 1 là Rất không hài lòng) hoặc gõ chữ như “hài lòng”, “bỏ qua”, “quay lại”.
    /cancel: tạm dừng, mở lại đường dẫn khảo sát để tiếp tục.
    /xoa: xóa các câu trả lời Ông/Bà đã gửi.
    /help: xem hướng dẫn này.
tg-no-survey = Ông/Bà chưa có khảo sát nào đang thực hiện. Vui lòng mở đường dẫn trong thông báo hoặc quét mã QR trên phiếu hẹn.
tg-paused = Đã tạm dừng và lưu các câu trả lời. Khi thuận tiện, Ông/Bà mở lại đường dẫn khảo sát để tiếp tục.
tg-invitation-opened = Kính chào Ông/Bà!
tg-notice = Kính báo Ông/Bà: hồ sơ của Ông/Bà đã giải quyết xong.
tg-reminder = Kính nhắc Ông/Bà về khảo sát mức độ hài lòng.
tg-invitation-ask = Ông/Bà vui lòng dành 1–2 phút cho biết mức độ hài lòng. Cơ quan sẽ đọc các câu trả lời và góp ý của Ông/Bà, nhưng không kèm họ tên, số điện thoại hay số giấy tờ. Ý kiến của Ông/Bà giúp cơ quan phục vụ tốt hơn.
tg-button-start = Bắt đầu
tg-button-later = Để sau
tg-button-decline = Không tham gia
tg-later-ack = Dạ, chúng tôi sẽ nhắc Ông/Bà lúc { $time } ngày { $date }.
tg-later-no-reminder = Dạ, khi thuận tiện Ông/Bà mở lại đường dẫn khảo sát để trả lời.
tg-decline-ack = Cảm ơn Ông/Bà. Chúng tôi sẽ không gửi thêm tin nhắn về hồ sơ này.
tg-stale-button = Câu hỏi này đã được trả lời, không thay đổi gì.
tg-answered =
    { $question }
    ✓ { $answer }

## API tiếp nhận thông báo hồ sơ.

intake-error-not-object = phải là một đối tượng JSON.
intake-error-missing = thiếu trường bắt buộc.
intake-error-empty = không được để trống.
intake-error-too-long = quá dài.
intake-error-not-string = phải là chuỗi ký tự.
intake-error-channel = phải là direct, online hoặc postal.
intake-error-time = phải là thời điểm theo RFC 3339, ví dụ 2026-11-16T15:00:00+07:00.
intake-error-chat-id = phải là số định danh cuộc trò chuyện Telegram.
intake-error-zalo-user-id = phải là mã người dùng Zalo (chỉ gồm chữ số).
intake-error-phone = phải là số di động Việt Nam, ví dụ 0912 345 678 hoặc +84 912 345 678.
http-error-unauthorized = Thiếu hoặc sai mã xác thực (Authorization: Bearer …).
http-error-rate-limited = Gửi quá nhiều thông báo. Vui lòng thử lại sau { $seconds } giây.
http-error-timed-out = Yêu cầu quá thời gian cho phép. Vui lòng gửi lại.
http-error-invalid-json = Nội dung không phải JSON hợp lệ: { $detail }
http-error-internal = Hệ thống tạm thời không xử lý được yêu cầu, vui lòng thử lại sau.
http-error-agency-not-allowed = Mã xác thực này chỉ được gửi thông báo cho cơ quan “{ $scope }” và các đơn vị trực thuộc; cơ quan “{ $agency }” nằm ngoài phạm vi đó.

## Lệnh intake-client: các hệ thống gửi thông báo, mỗi hệ thống một mã xác thực.

intake-client-added = Đã tạo hệ thống gửi thông báo “{ $name }” (phạm vi: { $scope }). Mã xác thực (Authorization: Bearer …):
intake-client-token-once = Mã này chỉ hiển thị một lần và không được lưu lại; hãy cất giữ ngay. Nếu mất mã, hãy thu hồi (intake-client revoke) và tạo hệ thống mới.
intake-client-scope-all = tất cả
intake-client-bad-name = tên “{ $name }” không hợp lệ: cần 1–64 ký tự gồm chữ thường không dấu (a–z), số, “_”, “.” hoặc “-”, bắt đầu bằng chữ hoặc số.
intake-client-exists = đã có hệ thống gửi thông báo tên “{ $name }” (kể cả đã thu hồi); hãy chọn tên khác.
intake-client-unknown = không có hệ thống gửi thông báo tên “{ $name }”.
intake-client-revoked = Đã thu hồi “{ $name }”: mã xác thực của hệ thống này hết hiệu lực ngay.
intake-client-already-revoked = “{ $name }” đã được thu hồi lúc { $at }; không có gì thay đổi.
intake-client-list-empty = Chưa có hệ thống gửi thông báo nào.
intake-client-list-row = { $name } · phạm vi: { $scope } · tạo lúc { $created } · { $state }
intake-client-active = đang dùng
intake-client-revoked-at = đã thu hồi lúc { $at }

## Lệnh serve và notice.

error-telegram = không kết nối được Telegram Bot API: { $reason }
error-api = API từ chối thông báo: { $reason }
setting-expect-bot-token = cần là mã bot Telegram dạng 123456:ABC… (lấy từ BotFather).
setting-expect-url = cần là một địa chỉ URL đầy đủ (http:// hoặc https://).
setting-expect-https-url = cần là địa chỉ https:// để mã bot không bị gửi đi dưới dạng không mã hóa (chỉ dùng http:// với địa chỉ nội bộ như 127.0.0.1 hoặc localhost).
setting-expect-socket-address = cần là địa chỉ IP kèm cổng, ví dụ 127.0.0.1:8080.
setting-expect-intake-token = cần là chuỗi bí mật dài ít nhất 16 ký tự.
setting-expect-webhook-secret = cần là chuỗi 16–256 ký tự gồm chữ, số, “_” hoặc “-” (chuỗi ngắn dễ bị đoán).
setting-expect-mode = cần là polling hoặc webhook.
setting-expect-positive-hours = cần là số giờ nguyên dương.
serve-started = Đang phục vụ: API tại http://{ $addr }, bot Telegram @{ $bot }. Nhấn Ctrl+C để dừng.

## Báo cáo tuần gửi cán bộ.

weekly-title = 📊 BÁO CÁO SIPAS TUẦN { $week } ({ $from } – { $to })
weekly-scope = { $agency } và các đơn vị trực thuộc
weekly-counts = Lời mời: { $invitations } · Phản hồi: { $responses } (tỷ lệ { $rate }) · Từ chối: { $declines } · Không gửi được: { $undeliverable }
weekly-flagged = ⚑ { $count } phản hồi bị gắn cờ (một tài khoản trả lời nhiều hồ sơ, hoặc trả lời nhanh hơn tốc độ đọc): vẫn được lưu, không tính vào chỉ số.
weekly-withdrawn = { $count } người đã rút lại câu trả lời (tính là chưa trả lời trong tỷ lệ phản hồi).
weekly-overall = Chỉ số SIPAS chung: { $index }{ $change }{ $margin }
weekly-up = , tăng { $points } điểm %
weekly-down = , giảm { $points } điểm %
weekly-same = , không đổi
weekly-margin = , sai số ±{ $margin } điểm %
weekly-points = Quy đổi: { $points }/{ $maximum } điểm
weekly-factors = Các yếu tố:
weekly-factor = • { $factor }: { $index }{ $change }
weekly-weakest = Tiêu chí thấp nhất:
weekly-criterion = • { $criterion } — { $rate }
weekly-units = Xếp hạng đơn vị:
weekly-unit = • { $agency }: { $index } (hạng { $rank }/{ $of }, { $responses } phản hồi){ $extra }
weekly-small-units = Chưa đủ phản hồi để xếp hạng: { $units }
weekly-expectations = Mong đợi hàng đầu: { $expectations }
weekly-comments = Ý kiến gần đây:
weekly-comment = “{ $comment }”
weekly-too-small = ⚠ Số phản hồi còn ít (dưới { $minimum }), chưa đủ để kết luận.
summary-title-month = 📊 BÁO CÁO SIPAS THÁNG { $week } ({ $from } – { $to })
summary-title-quarter = 📊 BÁO CÁO SIPAS QUÝ { $week } ({ $from } – { $to })
summary-title-year = 📊 BÁO CÁO SIPAS NĂM { $week } ({ $from } – { $to })
summary-trend = Xu hướng: { $trend }
summary-trend-first-week = Xu hướng: tuần đầu tiên có dữ liệu
summary-trend-first-month = Xu hướng: tháng đầu tiên có dữ liệu
summary-trend-first-quarter = Xu hướng: quý đầu tiên có dữ liệu
summary-trend-first-year = Xu hướng: năm đầu tiên có dữ liệu
summary-unit-points = , { $points }/{ $maximum } điểm
summary-more-units = … và { $count } đơn vị khác
summary-other-units = và { $count } đơn vị khác
summary-procedures-busiest = Thủ tục nhiều phản hồi nhất:
summary-procedures-lowest = Thủ tục có chỉ số thấp nhất (từ { $minimum } phản hồi trở lên):
summary-procedure = • { $procedure }: { $index }{ $margin } ({ $responses } phản hồi)
chart-title = Chỉ số SIPAS { $week }
chart-overall = Chung
chart-trend = Xu hướng
chart-target = Mục tiêu { $target }
chart-units = Xếp hạng đơn vị
chart-margin-note = Vạch đen: sai số 95%
flow-problem-alert-unknown-value = giá trị cảnh báo “{ $value }” không phải là câu trả lời có thể có của câu này.
flow-problem-contact-question = câu hỏi đồng ý liên hệ “{ $target }” phải là một câu hỏi Có/Không trong bộ câu hỏi.

## Đăng ký nhận báo cáo và cảnh báo.

official-help =
    Lệnh cho cán bộ:
    /subscribe MÃ: đăng ký nhận báo cáo SIPAS hằng tuần bằng mã do quản trị viên cấp.
    /report: báo cáo của tuần hiện tại (tính đến lúc này).
    /unsubscribe: hủy đăng ký (chỉ quản trị viên của nhóm).
subscribe-usage = Vui lòng gửi kèm mã đăng ký, ví dụ: /subscribe ABCD-EFGH-JKMN
subscribe-done = Đã đăng ký nhận báo cáo SIPAS hằng tuần của { $agency } và các đơn vị trực thuộc, gửi vào { $weekday } lúc { $hour }.
subscribe-unknown = Mã đăng ký không đúng. Vui lòng kiểm tra lại với quản trị viên.
subscribe-expired = Mã đăng ký đã hết hạn. Vui lòng đề nghị quản trị viên cấp mã mới.
subscribe-used = Mã đăng ký này đã được sử dụng. Mỗi mã chỉ dùng được một lần.
unsubscribe-done = Đã hủy đăng ký nhận báo cáo cho nhóm này.
unsubscribe-not-admin = Chỉ quản trị viên của nhóm mới được hủy đăng ký.
report-not-subscribed = Nhóm này chưa đăng ký nhận báo cáo nào.
weekday-1 = thứ Hai
weekday-2 = thứ Ba
weekday-3 = thứ Tư
weekday-4 = thứ Năm
weekday-5 = thứ Sáu
weekday-6 = thứ Bảy
weekday-7 = Chủ nhật
alert-title = ⚠ CẢNH BÁO từ phản hồi của người dân
alert-where = Cơ quan: { $agency } · Thủ tục: { $procedure }
alert-item = • { $question } → { $answer }
alert-contact = Người dân đồng ý được liên hệ lại về ý kiến này. Mã hồ sơ: { $dossier }
alert-no-contact = Người dân không đăng ký liên hệ lại; danh tính được giữ kín.
subscription-code-created = Mã đăng ký: { $code } (cho { $agency }, hết hạn { $expires }). Trong nhóm hoặc kênh Telegram đã thêm bot, gửi: /subscribe { $code }
subscription-list-empty = Chưa có đăng ký nào.
subscription-list-row = #{ $id } · { $chat } · { $agency } · { $schedule } · lần gửi tới: { $next } · { $state }
subscription-active = đang hoạt động
subscription-inactive = đã hủy
error-unknown-agency = không có cơ quan mã “{ $agency }”.
error-bad-week = tuần “{ $week }” không hợp lệ; dùng dạng 2026-W47.
error-bad-period = kỳ “{ $period }” không hợp lệ; dùng dạng 2026 (năm), 2026-Q3 (quý), 2026-11 (tháng) hoặc 2026-W47 (tuần).
xlsx-sheet-summary = Tóm tắt
xlsx-sheet-answers = Câu trả lời
xlsx-sheet-units = Đơn vị
xlsx-sheet-procedures = Thủ tục
xlsx-code = Mã
xlsx-name = Tên
xlsx-index = Chỉ số
xlsx-rank = Hạng
xlsx-points = Điểm
xlsx-change = Thay đổi (điểm %)
xlsx-margin = Sai số 95%
xlsx-week = Tuần
xlsx-invitations = Số lời mời
xlsx-responses = Số phản hồi
xlsx-response-rate = Tỷ lệ phản hồi
xlsx-overall = Chỉ số SIPAS chung
xlsx-response = Phản hồi
xlsx-agency = Mã cơ quan
xlsx-submitted = Thời điểm
xlsx-question = Câu hỏi
xlsx-kind = Loại
xlsx-answer = Trả lời
xlsx-caption = Dữ liệu tuần { $week } (XLSX)
setting-expect-tick = cần là số giây từ 1 đến 86400.
setting-expect-messages-per-second = cần là số tin nhắn mỗi giây từ 1 đến 1.000.
setting-expect-chat-messages-per-second = cần là số tin nhắn mỗi giây từ 0,05 đến 30.
setting-expect-lease = cần là số giây từ 5 đến 3.600.

## Quản trị.

import-error-header = dòng tiêu đề phải có các cột code, name, parent_code, level.
import-error-row = dòng không đọc được.
import-error-code = thiếu mã cơ quan.
import-error-name = thiếu tên cơ quan.
import-error-level = cấp phải là tỉnh, sở, xã (hoặc phường, đặc khu); huyện chỉ dùng cho dữ liệu trước ngày 01/7/2025.
import-error-duplicate = mã cơ quan bị trùng trong tệp.
import-error-own-parent = cơ quan không thể là cấp trên của chính nó.
import-error-parent = cơ quan cấp trên không tồn tại.
import-error-cycle = mã cấp trên này tạo thành vòng lặp: { $cycle }.
import-report = Đã nhập { $accepted } cơ quan, từ chối { $rejected } dòng.
import-rejected-row = Dòng { $line } ({ $code }): { $reason }
admin-added = Đã tạo tài khoản “{ $login }” ({ $role }). Mật khẩu dùng một lần: { $password }
admin-exists = tài khoản “{ $login }” đã tồn tại.
admin-needs-agency = vai trò manager cần --agency (mã cơ quan được quản lý).
flow-published = Đã công bố bộ câu hỏi “{ $flow }” phiên bản { $version }; lời mời mới sẽ dùng phiên bản này.
flow-list-row = { $flow } v{ $version } · { $status }{ $current } · { $responses } phản hồi · { $title }
flow-list-current = {" "}(đang dùng)
error-unknown-flow-version = không có bộ câu hỏi “{ $flow }” phiên bản { $version }.

## Trang quản trị.

admin-add = Thêm
admin-add-question = Thêm câu hỏi
admin-agencies-title = Cơ quan, đơn vị
admin-agency = Cơ quan
admin-all-agencies = Tất cả cơ quan (mặc định)
admin-assign = Gán bộ câu hỏi
admin-assignments = Bộ câu hỏi theo cơ quan
admin-audit-title = Nhật ký thay đổi
admin-code = Mã
admin-current = đang dùng
admin-delete = Xóa
admin-diff = So sánh với phiên bản trước
admin-diff-none = Không có phiên bản trước để so sánh.
admin-diff-same = Không có thay đổi nào về câu hỏi.
admin-diff-title = Thay đổi từ { $from } đến { $to }
admin-error-admin-only = Chỉ quản trị viên mới được thực hiện thao tác này.
admin-error-csrf = Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.
admin-error-locked = Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.
admin-error-not-validated = Cần kiểm tra hợp lệ trước khi công bố.
admin-error-not-yours = Tài khoản của Ông/Bà không quản lý mục này.
admin-error-published = Phiên bản đã công bố thì không sửa được; hãy tạo bản nháp mới.
admin-error-sign-in = Tên đăng nhập hoặc mật khẩu không đúng.
admin-error-title = Có lỗi xảy ra
admin-error-viewer = Tài khoản chỉ xem không được thay đổi dữ liệu.
admin-factor = Yếu tố (câu thang đo)
admin-flow = Bộ câu hỏi
admin-flows-title = Bộ câu hỏi và phiên bản
admin-forbidden-title = Không được phép
admin-import = Nhập từ CSV
admin-import-help = Dán nội dung CSV (code,name,parent_code,level)
admin-invalid = Bộ câu hỏi chưa hợp lệ:
admin-invitations = Lời mời
admin-issue-code = Cấp mã đăng ký
admin-kind = Loại câu hỏi
admin-level = Cấp
admin-login = Tên đăng nhập
admin-name = Tên
admin-nav-agencies = Cơ quan
admin-nav-audit = Nhật ký
admin-nav-flows = Bộ câu hỏi
admin-nav-subscriptions = Đăng ký nhận báo cáo
admin-new-draft = Tạo bản nháp mới từ phiên bản này
admin-not-found = Không tìm thấy.
admin-open = Mở
admin-options-help = Phương án (mỗi dòng: mã|tiếng Việt|tiếng Anh)
admin-parent = Cấp trên
admin-password = Mật khẩu
admin-preview = Xem trước như người dân
admin-preview-title = Xem trước: { $flow }
admin-publish = Công bố
admin-question-id = Mã câu hỏi
admin-questions = Câu hỏi
admin-responses = Phản hồi
admin-rollback = Khôi phục phiên bản này
admin-save = Lưu
admin-sign-in = Đăng nhập
admin-sign-in-title = Đăng nhập quản trị SIPAS
admin-sign-out = Đăng xuất
admin-status = Trạng thái
admin-status-draft = bản nháp
admin-status-validated = đã kiểm tra
admin-status-published = đã công bố
admin-role-admin = quản trị viên
admin-role-manager = quản lý cơ quan
admin-role-viewer = chỉ xem
admin-subscriptions-title = Đăng ký nhận báo cáo
admin-text-en = Nội dung tiếng Anh
admin-text-vi = Nội dung tiếng Việt
admin-title = Tiêu đề
admin-valid = Bộ câu hỏi hợp lệ, có thể công bố.
admin-validate = Kiểm tra hợp lệ
admin-version = Phiên bản
admin-condition-help = Chỉ hỏi khi (mã câu hỏi=giá trị,giá trị), để trống nếu luôn hỏi
setting-expect-config-file = cần là đường dẫn tới một tệp cấu hình đọc được.
setting-expect-config-line = mỗi dòng phải có dạng TÊN=giá trị (tên viết hoa).
admin-by-version = Phản hồi theo cơ quan và phiên bản bộ câu hỏi
admin-nav-users = Người dùng
admin-nav-password = Đổi mật khẩu
admin-password-title = Đổi mật khẩu
admin-password-must-change = Ông/Bà cần đổi mật khẩu được cấp trước khi dùng trang quản trị.
admin-password-current = Mật khẩu hiện tại
admin-password-new = Mật khẩu mới (ít nhất { $min } ký tự)
admin-password-repeat = Nhập lại mật khẩu mới
admin-error-password-current = Mật khẩu hiện tại không đúng.
admin-error-password-short = Mật khẩu mới cần ít nhất { $min } ký tự.
admin-error-password-same = Mật khẩu mới phải khác mật khẩu hiện tại.
admin-error-password-repeat = Hai lần nhập mật khẩu mới không khớp nhau.
admin-users-title = Người dùng
admin-role = Vai trò
admin-user-active = đang hoạt động
admin-user-disabled = đã khóa
admin-disable = Khóa tài khoản
admin-user-disabled-done = Đã khóa tài khoản “{ $login }” và kết thúc mọi phiên đăng nhập của tài khoản này.
admin-error-disable-self = Ông/Bà không thể tự khóa tài khoản của mình.
admin-error-unpublished-flow = Bộ câu hỏi “{ $flow }” chưa có phiên bản nào được công bố nên chưa gán được cho cơ quan. Ông/Bà vui lòng công bố một phiên bản trước.
setting-expect-zalo-id = cần là mã số do Zalo cấp (chỉ gồm chữ số).
setting-expect-zalo-secret = cần là khóa bí mật lấy từ trang quản lý ứng dụng Zalo.
setting-expect-boolean = cần là true hoặc false.
zalo-typed-option = { $key }. { $label }
zalo-typed-fallback = Ông/Bà cũng có thể gõ: { $keys }.
zalo-phone-invalid = Số điện thoại không hợp lệ. Ông/Bà vui lòng nhập số di động Việt Nam, ví dụ 0912 345 678.
zalo-welcome = Xin chào Ông/Bà! Đây là kênh khảo sát mức độ hài lòng về dịch vụ hành chính công. Để bắt đầu, Ông/Bà vui lòng gửi mã khảo sát in dưới mã QR trên phiếu hẹn (ví dụ ABCD-EFGH).
zalo-no-survey = Ông/Bà chưa có khảo sát nào đang thực hiện. Vui lòng gửi mã khảo sát in dưới mã QR trên phiếu hẹn (ví dụ ABCD-EFGH).
zalo-code-unknown = Mã khảo sát không đúng. Ông/Bà vui lòng kiểm tra lại mã in trên phiếu hẹn.
zalo-code-expired = Mã khảo sát này đã hết hạn. Cảm ơn Ông/Bà đã quan tâm.
zalo-code-used = Mã khảo sát này đã được dùng ở một tài khoản Zalo khác.
zalo-code-too-many = Ông/Bà đã nhập sai mã quá nhiều lần. Vui lòng thử lại sau 1 giờ.
zalo-stale-button = Câu hỏi đó đã được trả lời. Mời Ông/Bà trả lời câu hỏi hiện tại.
zalo-invitation = Kính báo Ông/Bà: hồ sơ “{ $procedure }” tại { $agency } đã giải quyết xong. Ông/Bà vui lòng dành 1–2 phút cho biết mức độ hài lòng. Cơ quan sẽ đọc các câu trả lời và góp ý, nhưng không kèm họ tên, số điện thoại hay số giấy tờ của Ông/Bà. Ý kiến của Ông/Bà giúp cơ quan phục vụ tốt hơn.
zalo-button-start = Bắt đầu khảo sát
zalo-reminder = Kính nhắc Ông/Bà về khảo sát mức độ hài lòng. Mời Ông/Bà trả lời tiếp.
tg-withdraw-confirm = Ông/Bà có chắc muốn xóa toàn bộ câu trả lời đã gửi từ cuộc trò chuyện này không? Sau khi xóa, câu trả lời không còn được tính và không thể khôi phục.
tg-withdraw-yes = Xóa câu trả lời
tg-withdraw-no = Không xóa
tg-withdraw-done = Đã xóa câu trả lời của Ông/Bà và bỏ liên kết với cuộc trò chuyện này. Cảm ơn Ông/Bà.
tg-withdraw-nothing = Không có câu trả lời nào từ cuộc trò chuyện này để xóa.
tg-withdraw-kept = Câu trả lời của Ông/Bà được giữ nguyên.
tg-withdraw-offer = Xóa câu trả lời
admin-nav-flags = Phản hồi bị gắn cờ
admin-flags-title = Phản hồi bị gắn cờ
admin-flags-help = Các phản hồi này được lưu nhưng không tính vào chỉ số. Gỡ cờ khi đã kiểm tra và thấy phản hồi là thật; việc gỡ cờ được ghi vào nhật ký.
admin-flags-none = Không có phản hồi nào bị gắn cờ.
admin-flag-dossier = Hồ sơ
admin-flag-procedure = Thủ tục
admin-flag-day = Ngày
admin-flag-reason = Lý do
admin-flag-many-dossiers = Một tài khoản trả lời quá nhiều hồ sơ trong 30 ngày
admin-flag-too-fast = Trả lời nhanh hơn tốc độ đọc
admin-flag-clear = Gỡ cờ
admin-flag-cleared = Đã gỡ cờ: phản hồi được tính vào chỉ số.
admin-flag-not-found = Phản hồi này không còn bị gắn cờ.

## Monthly and yearly subscriptions; summary settings.
subscribe-done-month = Đã đăng ký nhận báo cáo SIPAS hằng tháng của { $agency } và các đơn vị trực thuộc, gửi vào ngày 1 hằng tháng lúc { $hour }.
subscribe-done-year = Đã đăng ký nhận báo cáo SIPAS hằng năm của { $agency } và các đơn vị trực thuộc, gửi vào ngày 1/1 hằng năm lúc { $hour }.
schedule-month = ngày 1 hằng tháng { $hour }
schedule-year = ngày 1/1 hằng năm { $hour }
xlsx-caption-month = Dữ liệu tháng { $week } (XLSX)
xlsx-caption-year = Dữ liệu năm { $week } (XLSX)
setting-expect-target = cần là chỉ số mục tiêu, dạng tỷ lệ (0,9) hoặc phần trăm (90), lớn hơn 0 và không quá 100%.

## The console's results page.
admin-nav-results = Kết quả
admin-results-title = Kết quả khảo sát
admin-results-period = Kỳ báo cáo
admin-results-kind-week = Tuần
admin-results-kind-month = Tháng
admin-results-kind-quarter = Quý
admin-results-kind-year = Năm
admin-results-show = Xem
admin-results-xlsx = Tải XLSX
admin-results-csv = Tải CSV
admin-results-chart = Biểu đồ chỉ số SIPAS
admin-results-figure = Chỉ số
admin-results-counts = Lời mời: { $invitations } · Phản hồi: { $responses } · Tỷ lệ phản hồi: { $rate }
admin-results-lowest-rule = Các thủ tục được đánh giá thấp nhất (tô màu) chỉ xét thủ tục có từ { $count } phản hồi trở lên.
admin-results-bad-period = Kỳ báo cáo không hợp lệ.
admin-results-bad-period-text = Kỳ báo cáo “{ $period }” không hợp lệ; dùng dạng 2026-W47, 2026-11, 2026-Q3 hoặc 2026.
xlsx-procedure = Thủ tục

## The end of the demo: what it wrote and what to run next.
demo-files =
    Đã ghi biểu đồ: { $chart }
    Đã ghi bảng tính: { $workbook }
demo-explore = Xem tiếp dữ liệu vừa mô phỏng (mỗi lệnh đã kèm đúng DATABASE_URL):
demo-console = Trang quản trị: tạo tài khoản bằng lệnh “admin add” ở trên, chạy “serve” (cần mã bot Telegram), rồi mở http://127.0.0.1:8080/admin/results

# Citizens' service on Zalo (issue 16): the same choices as on Telegram
zalo-help =
    Ông/Bà trả lời bằng cách bấm nút, gõ số (5 là Rất hài lòng, 1 là Rất không hài lòng) hoặc gõ chữ như “hài lòng”, “bỏ qua”, “quay lại”.
    /cancel: tạm dừng, gửi lại mã khảo sát để tiếp tục.
    /xoa: xóa các câu trả lời Ông/Bà đã gửi.
    /help: xem hướng dẫn này.
zalo-paused = Đã tạm dừng và lưu các câu trả lời. Khi thuận tiện, Ông/Bà gửi lại mã khảo sát in trên phiếu hẹn hoặc bấm “Bắt đầu khảo sát” để tiếp tục.
zalo-later-no-reminder = Dạ, khi thuận tiện Ông/Bà bấm “Bắt đầu khảo sát” hoặc gửi mã khảo sát in trên phiếu hẹn để trả lời.
zalo-stale-choice = Lựa chọn này không còn hiệu lực, không thay đổi gì.
# Citizens' service: a press on a superseded question (issue 16)
citizen-superseded-open = (Mời Ông/Bà trả lời câu này ở tin nhắn mới nhất bên dưới.)
citizen-moved-on = Mời Ông/Bà trả lời ở tin nhắn mới nhất, không thay đổi gì.
# Zalo: go-live check, pause, settings (Zalo protocol engineer)
setting-expect-zalo-url = cần là địa chỉ https (http chỉ được dùng cho máy cục bộ 127.0.0.1/localhost).
setting-expect-zalo-template-mode = cần là “development” (chỉ gửi cho quản trị viên OA) hoặc “production”.
setting-expect-zalo-event-age = cần là số giờ từ 1 đến 168.
admin-zalo-paused = Kênh Zalo đang tạm dừng gửi từ { $since } do lỗi cấu hình ({ $host } { $code }: { $reason }). Tin nhắn vẫn được giữ lại và sẽ gửi khi tiếp tục. Hãy khắc phục nguyên nhân (gói OA, quyền ứng dụng, mẫu tin, số dư, ủy quyền lại OA) rồi bấm “Tiếp tục gửi”.
admin-zalo-resume = Tiếp tục gửi qua Zalo
admin-zalo-resume-hint = Quản trị viên có thể tiếp tục bằng nút trên trang này hoặc lệnh “sipas-bot zalo resume”.
# Security (issue 18): tenant rules, intake content, sign-in
http-error-dossier-exists = Mã hồ sơ này đã được gửi trước đó, thuộc phạm vi của hệ thống khác.
http-error-dossier-differs = Mã hồ sơ này đã được gửi với nội dung khác; không có gì thay đổi.
http-error-dossier-field-differs = khác với hồ sơ đã lưu; không có gì thay đổi.
intake-error-code-chars = chỉ gồm chữ cái, chữ số và ký hiệu ASCII in được, không có khoảng trắng.
intake-error-hidden-chars = có ký tự điều khiển hoặc ký tự đổi chiều văn bản.
intake-error-name-too-long = dài quá 200 ký tự.
intake-error-name-link = không được chứa đường dẫn, tên miền hay tên tài khoản (@…).
intake-error-time-range = phải nằm trong khoảng từ năm 2000 đến không quá một ngày sau thời điểm hiện tại.
setting-expect-idle-minutes = cần là số phút từ 1 đến 1440.
report-cooldown = Báo cáo vừa được gửi. Vui lòng thử lại sau { $seconds } giây.
## Validity (issue 19): the index weighted to the dossiers, response rates per channel and unit.
weekly-weighted = Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): { $index }{ $change }{ $margin }{ $unweighted }
weekly-unweighted = {" "}(chưa hiệu chỉnh: { $index })
weekly-weighted-why-lower = Vì sao khác: hồ sơ nộp { $channel } chiếm { $dossiers } số hồ sơ nhưng chỉ { $responses } số phản hồi, và chỉ số của nhóm này ({ $index }) thấp hơn; chỉ số chưa hiệu chỉnh nghiêng về những nhóm trả lời nhiều, chỉ số hiệu chỉnh tính mỗi đơn vị và kênh theo đúng số hồ sơ của nhóm đó.
weekly-weighted-why-higher = Vì sao khác: hồ sơ nộp { $channel } chiếm { $dossiers } số hồ sơ nhưng chỉ { $responses } số phản hồi, và chỉ số của nhóm này ({ $index }) cao hơn; chỉ số chưa hiệu chỉnh nghiêng về những nhóm trả lời nhiều, chỉ số hiệu chỉnh tính mỗi đơn vị và kênh theo đúng số hồ sơ của nhóm đó.
weekly-no-response-units = Đơn vị có hồ sơ nhưng chưa ai trả lời (không tính vào chỉ số hiệu chỉnh): { $units }
weekly-reach-channels = Tỷ lệ phản hồi theo kênh nộp hồ sơ: { $channels }
weekly-reach-units = Tỷ lệ phản hồi thấp nhất theo đơn vị: { $units }
weekly-reach-item = { $name } { $rate } ({ $responses }/{ $dossiers } hồ sơ{ $delivered })
weekly-reach-delivered = , đã nhận tin { $rate }
channel-direct = Trực tiếp
channel-online = Trực tuyến
channel-postal = Bưu chính
xlsx-weighted = Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ)
xlsx-weighted-margin = Sai số 95% của chỉ số hiệu chỉnh
xlsx-sheet-strata = Nhóm hồ sơ
xlsx-channel = Kênh nộp
xlsx-dossiers = Hồ sơ
xlsx-weight = Tỷ trọng
xlsx-units-without-responses = Đơn vị có hồ sơ nhưng chưa ai trả lời
chart-weighted = Hiệu chỉnh
summary-trend-plain = Xu hướng (chưa hiệu chỉnh): { $trend }
weekly-themes = Chủ đề ý kiến nổi bật: { $themes }
weekly-theme = { $theme } { $count } ({ $share }{ $change })
xlsx-sheet-themes = Chủ đề ý kiến
xlsx-theme = Chủ đề
xlsx-count = Số lượt
xlsx-share = Tỷ lệ
xlsx-examples = Ví dụ (đã che thông tin cá nhân)
themes-ok = Tệp chủ đề hợp lệ: { $count } chủ đề ({ $names }).
themes-error = Tệp chủ đề “{ $path }”, dòng { $line }: { $problem }
themes-error-unreadable = Không đọc được tệp chủ đề “{ $path }”: { $reason }
themes-problem-syntax = sai cú pháp TOML hoặc sai cấu trúc ([[theme]] với id, name, phrases, options): { $detail }
themes-problem-none = tệp không có chủ đề nào ([[theme]]).
themes-problem-bad-id = mã chủ đề “{ $id }” chỉ được gồm chữ thường không dấu, số và dấu gạch dưới.
themes-problem-duplicate = mã chủ đề “{ $id }” bị lặp.
themes-problem-no-name = chủ đề “{ $id }” chưa có tên.
themes-problem-no-phrases = chủ đề “{ $id }” chưa có từ khóa nào (phrases).
themes-problem-empty-phrase = chủ đề “{ $id }” có từ khóa rỗng.
themes-problem-no-other = thiếu chủ đề “other” (Khác) cho các ý kiến không thuộc chủ đề nào.
zalo-check-not-configured = Kênh Zalo chưa được cấu hình (thiếu ZALO_APP_ID).
zalo-check-title = Kiểm tra Zalo OA trước khi vận hành (không gửi tin nào):
zalo-check-token-ok = Làm mới mã truy cập thành công; mã làm mới mới đã được lưu.
zalo-check-token-failed = Không làm mới được mã truy cập ({ $code } { $reason }). Hãy ủy quyền lại ứng dụng cho OA và đặt ZALO_REFRESH_TOKEN mới.
zalo-check-oa-verified = OA “{ $name }” đã được xác thực.
zalo-check-oa-not-verified = OA “{ $name }” chưa được xác thực: cần xác thực OA trước khi dùng Open API.
zalo-check-oa-failed = Không đọc được thông tin OA ({ $code } { $reason }): gói OA có thể chưa có Open API (-224 cần nâng cấp gói) hoặc OA chưa cấp quyền cho ứng dụng.
zalo-check-oa-package = Gói OA: { $package }. Hãy xác nhận gói này có Open API và hạn mức tin tư vấn tính phí.
zalo-check-oa-package-unknown = Zalo không cho biết gói OA: hãy xác nhận trên trang OA rằng gói đang dùng có Open API.
zalo-check-manual-permissions = Cần tự kiểm tra: ứng dụng đã được OA cấp quyền gửi tin và nhận sự kiện, kể cả “user_feedback”.
zalo-check-manual-webhook = Cần tự kiểm tra: địa chỉ webhook (…/zalo/webhook) đã khai báo và tên miền đã được xác thực.
zalo-check-manual-autoreply = Cần tự kiểm tra: đã tắt tin trả lời tự động của OA để không chen vào khảo sát.
zalo-check-template-none = Chưa khai báo mẫu tin mời (ZALO_INVITATION_TEMPLATE_ID): không gửi được lời mời qua số điện thoại.
zalo-check-template-failed = Không đọc được mẫu tin { $template } ({ $code } { $reason }).
zalo-check-template-approved = Mẫu tin { $template } đã được duyệt.
zalo-check-template-not-approved = Mẫu tin { $template } chưa dùng được (trạng thái: { $status }): cần Zalo duyệt trước khi gửi.
zalo-check-template-params = Tham số của mẫu tin { $template } khớp với tham số bot gửi.
zalo-check-template-params-differ = Tham số của mẫu tin { $template } không khớp: mẫu cần thêm { $missing }; bot gửi nhưng mẫu không có { $unknown }.
zalo-check-template-price = Đơn giá mẫu tin { $template }: { $price }.
zalo-check-mode-production = Chế độ gửi mẫu tin: production (gửi cho công dân).
zalo-check-mode-development = Chế độ gửi mẫu tin: development (chỉ quản trị viên OA nhận được). Đặt ZALO_TEMPLATE_MODE=production khi vận hành thật.
zalo-check-paused = Kênh Zalo đang tạm dừng ({ $host } { $code }: { $reason }): khắc phục rồi chạy “sipas-bot zalo resume”.
zalo-check-storage = Không đọc được cơ sở dữ liệu: { $error }
zalo-check-blocked = Chưa thể vận hành: hãy khắc phục các mục đánh dấu ✗ và tự kiểm tra các mục đánh dấu ?.
zalo-check-ready = Không có mục nào chặn việc vận hành; hãy tự kiểm tra các mục đánh dấu ?.
zalo-resumed = Đã tiếp tục gửi qua Zalo (trước đó tạm dừng do { $host } { $code }: { $reason }). Các tin đang chờ sẽ được gửi ngay.
zalo-not-paused = Kênh Zalo không bị tạm dừng.
setting-expect-secret-key = cần là 64 ký tự thập lục phân (32 byte ngẫu nhiên, ví dụ tạo bằng “openssl rand -hex 32”); bắt buộc khi dùng Zalo để mã hóa mã truy cập Zalo trong cơ sở dữ liệu.
zalo-reseeded = Đã thay chuỗi mã làm mới đã hỏng bằng ZALO_REFRESH_TOKEN mới.
zalo-reseed-same = Kênh Zalo tạm dừng vì Zalo từ chối mã làm mới, nhưng ZALO_REFRESH_TOKEN vẫn là mã cũ: hãy ủy quyền lại ứng dụng cho OA, đặt ZALO_REFRESH_TOKEN mới rồi chạy lại lệnh.
totals-drifted = Các bảng đã lệch: { $tables }.
