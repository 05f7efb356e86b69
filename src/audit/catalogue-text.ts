import type { Lang } from "../i18n/index.js";

/**
 * What a site owner reads about each control, in Vietnamese and English: the good state (shown
 * when the control passes or is still to be confirmed), the problem (shown when it fails) and the
 * fix in plain words. The catalogue's English `title` and `remediation` stay as they are in the
 * JSON report; the people-facing renderers use these.
 */
export interface ControlText {
  ok: string;
  problem: string;
  fix: string;
}

type Texts = Record<Lang, ControlText>;

function text(en: [string, string, string], vi: [string, string, string]): Texts {
  return {
    en: { ok: en[0], problem: en[1], fix: en[2] },
    vi: { ok: vi[0], problem: vi[1], fix: vi[2] },
  };
}

export const CONTROL_TEXT: Readonly<Record<string, Texts>> = {
  "auth.default-credentials": text(
    [
      "No factory default password works",
      "The camera accepts a factory default password",
      "Give every account on the camera its own strong password and turn off accounts nobody uses.",
    ],
    [
      "Không đăng nhập được bằng mật khẩu mặc định của nhà sản xuất",
      "Camera chấp nhận mật khẩu mặc định của nhà sản xuất",
      "Đặt cho mỗi tài khoản trên camera một mật khẩu mạnh, riêng biệt và tắt các tài khoản không dùng đến.",
    ],
  ),
  "auth.supplied-password-strength": text(
    [
      "The camera password given to camgate is strong",
      "The camera password given to camgate is weak or a factory default",
      "Change the camera password to one of at least 8 characters with upper-case and lower-case letters, a digit and a symbol, then enter the new password in camgate.",
    ],
    [
      "Mật khẩu camera khai báo cho camgate đủ mạnh",
      "Mật khẩu camera khai báo cho camgate yếu hoặc là mật khẩu mặc định",
      "Đổi mật khẩu camera thành mật khẩu dài ít nhất 8 ký tự, có chữ hoa, chữ thường, chữ số và ký tự đặc biệt, rồi cập nhật mật khẩu mới vào camgate.",
    ],
  ),
  "auth.unauthenticated-onvif": text(
    [
      "ONVIF requires a login",
      "ONVIF answers without a login",
      "Turn on ONVIF authentication in the camera's web page (often called 'ONVIF authentication' or 'WS-Security'), so that the camera answers only to a user name and password.",
    ],
    [
      "ONVIF yêu cầu đăng nhập",
      "ONVIF trả lời mà không cần đăng nhập",
      "Bật xác thực ONVIF trong trang quản trị web của camera (thường gọi là 'ONVIF authentication' hoặc 'WS-Security') để camera chỉ trả lời khi có tên đăng nhập và mật khẩu.",
    ],
  ),
  "auth.unauthenticated-rtsp": text(
    [
      "The video stream (RTSP) requires a login",
      "Anyone on the network can open the video stream (RTSP) without a login",
      "Turn on RTSP authentication (Digest) in the camera's video stream settings.",
    ],
    [
      "Luồng video (RTSP) yêu cầu đăng nhập",
      "Ai trong mạng cũng mở được luồng video (RTSP) mà không cần đăng nhập",
      "Bật xác thực RTSP (kiểu Digest) trong phần cài đặt luồng video của camera.",
    ],
  ),
  "auth.unauthenticated-snapshot": text(
    [
      "Snapshots require a login",
      "Anyone can download a snapshot image without a login",
      "Require a login for snapshots (turn off 'anonymous snapshot' or 'anonymous visit').",
    ],
    [
      "Ảnh chụp nhanh yêu cầu đăng nhập",
      "Ai cũng tải được ảnh chụp từ camera mà không cần đăng nhập",
      "Bắt buộc đăng nhập khi lấy ảnh chụp (tắt 'anonymous snapshot' hoặc 'anonymous visit').",
    ],
  ),
  "auth.basic-over-cleartext": text(
    [
      "Passwords are never sent readable over plain HTTP",
      "The camera asks for passwords in readable form (Basic) over unencrypted HTTP",
      "Set HTTP and RTSP authentication to Digest only, and use HTTPS for the web page.",
    ],
    [
      "Mật khẩu không bị gửi dạng đọc được qua HTTP không mã hóa",
      "Camera yêu cầu gửi mật khẩu dạng đọc được (Basic) qua HTTP không mã hóa",
      "Đặt xác thực HTTP và RTSP chỉ dùng kiểu Digest, và dùng HTTPS cho trang quản trị web.",
    ],
  ),
  "auth.wsse-freshness": text(
    [
      "Old or replayed ONVIF login tokens are refused",
      "The camera accepts old or replayed ONVIF login tokens",
      "Update the firmware. The camera must refuse login tokens without a one-time number and a creation time, and tokens older than a few minutes.",
    ],
    [
      "Camera từ chối mã đăng nhập ONVIF cũ hoặc bị phát lại",
      "Camera chấp nhận mã đăng nhập ONVIF cũ hoặc bị phát lại",
      "Cập nhật firmware. Camera phải từ chối mã đăng nhập không có số dùng một lần và thời điểm tạo, và mã đã tạo quá vài phút.",
    ],
  ),
  "auth.lockout-policy": text(
    [
      "Repeated wrong passwords lock the login",
      "Nothing stops someone from guessing passwords again and again",
      "Turn on login lockout (often called 'illegal login lock'): at most 5 wrong tries within 30 seconds, then locked for at least 5 minutes.",
    ],
    [
      "Đăng nhập bị khóa sau nhiều lần nhập sai mật khẩu",
      "Không có gì ngăn việc dò mật khẩu liên tục",
      "Bật khóa đăng nhập (thường gọi là 'illegal login lock'): sai tối đa 5 lần trong 30 giây thì khóa ít nhất 5 phút.",
    ],
  ),
  "auth.password-policy": text(
    [
      "The camera requires strong passwords",
      "The camera lets users set weak passwords",
      "Turn on the password policy: at least 8 characters, with an upper-case letter, a digit and a symbol.",
    ],
    [
      "Camera bắt buộc dùng mật khẩu mạnh",
      "Camera cho phép đặt mật khẩu yếu",
      "Bật chính sách mật khẩu: ít nhất 8 ký tự, có chữ hoa, chữ số và ký tự đặc biệt.",
    ],
  ),
  "auth.accounts": text(
    [
      "No extra administrator or default-named accounts",
      "There are extra administrator or default-named accounts",
      "Delete the accounts nobody needs and keep a single administrator; give operators the lowest access level that lets them work.",
    ],
    [
      "Không có tài khoản quản trị thừa hoặc tài khoản mang tên mặc định",
      "Có tài khoản quản trị thừa hoặc tài khoản mang tên mặc định",
      "Xóa các tài khoản không cần thiết, chỉ giữ một tài khoản quản trị; cấp cho người vận hành quyền thấp nhất đủ để làm việc.",
    ],
  ),
  "comms.https-management": text(
    [
      "The camera's web page is available over HTTPS",
      "The camera's web page is not available over HTTPS",
      "Turn on HTTPS on the camera and install a certificate.",
    ],
    [
      "Trang quản trị của camera dùng được qua HTTPS",
      "Trang quản trị của camera không dùng được qua HTTPS",
      "Bật HTTPS trên camera và cài chứng thư số.",
    ],
  ),
  "comms.cleartext-management": text(
    [
      "The camera's web page is not open over unencrypted HTTP",
      "The camera's web page is also open over unencrypted HTTP",
      "Turn off plain HTTP for the web page, or make it send visitors to HTTPS.",
    ],
    [
      "Trang quản trị của camera không mở qua HTTP không mã hóa",
      "Trang quản trị của camera vẫn mở qua HTTP không mã hóa",
      "Tắt HTTP thường cho trang quản trị, hoặc cài đặt để tự chuyển sang HTTPS.",
    ],
  ),
  "comms.tls-version": text(
    [
      "Only TLS 1.2 or newer is accepted",
      "The camera accepts outdated TLS (older than 1.2)",
      "Set the minimum TLS version to 1.2 in the camera's HTTPS settings, or update the firmware.",
    ],
    [
      "Camera chỉ chấp nhận TLS 1.2 trở lên",
      "Camera chấp nhận TLS lỗi thời (cũ hơn 1.2)",
      "Đặt phiên bản TLS tối thiểu là 1.2 trong cài đặt HTTPS của camera, hoặc cập nhật firmware.",
    ],
  ),
  "comms.tls-ciphers": text(
    [
      "Only strong encryption is accepted",
      "The camera accepts weak encryption (TLS cipher suites)",
      "Choose the 'high security' TLS setting (only ECDHE with AES-GCM or ChaCha20), or update the firmware.",
    ],
    [
      "Camera chỉ chấp nhận thuật toán mã hóa mạnh",
      "Camera chấp nhận thuật toán mã hóa yếu (bộ mã TLS)",
      "Chọn mức bảo mật TLS cao (chỉ ECDHE với AES-GCM hoặc ChaCha20), hoặc cập nhật firmware.",
    ],
  ),
  "comms.tls-certificate": text(
    [
      "The HTTPS certificate is valid for this camera",
      "The HTTPS certificate is expired, weak, self-signed or made for another name",
      "Install a certificate for the camera's address issued by the site's certificate authority (RSA 2048 or P-256, SHA-256).",
    ],
    [
      "Chứng thư HTTPS hợp lệ cho camera này",
      "Chứng thư HTTPS đã hết hạn, yếu, tự ký hoặc cấp cho tên khác",
      "Cài chứng thư số cho địa chỉ của camera, do tổ chức cấp chứng thư của điểm kết nối cấp (RSA 2048 hoặc P-256, SHA-256).",
    ],
  ),
  "comms.video-encryption": text(
    [
      "Video can travel encrypted",
      "Video travels only unencrypted (plain RTP)",
      "Turn on RTSPS (RTSP over TLS) or SRTP if the camera supports it; otherwise keep the camera on a separate, closed network.",
    ],
    [
      "Video có thể truyền đi dưới dạng mã hóa",
      "Video chỉ truyền đi không mã hóa (RTP thường)",
      "Bật RTSPS (RTSP qua TLS) hoặc SRTP nếu camera hỗ trợ; nếu không, đặt camera trong một mạng riêng, tách biệt.",
    ],
  ),
  "services.telnet": text(
    [
      "Telnet is closed",
      "Telnet is open",
      "Turn off telnet; if the firmware does not allow it, update the firmware or replace the camera.",
    ],
    [
      "Telnet đã đóng",
      "Telnet đang mở",
      "Tắt telnet; nếu firmware không cho tắt, hãy cập nhật firmware hoặc thay camera.",
    ],
  ),
  "services.debug-ports": text(
    [
      "No vendor debug or backdoor port is open",
      "A vendor debug or backdoor port is open",
      "Update to a firmware without the debug service; until then, block these ports on the network switch.",
    ],
    [
      "Không có cổng gỡ lỗi hay cửa hậu của nhà sản xuất đang mở",
      "Có cổng gỡ lỗi hoặc cửa hậu của nhà sản xuất đang mở",
      "Cập nhật firmware không còn dịch vụ gỡ lỗi; trong lúc chờ, chặn các cổng này trên bộ chuyển mạch (switch).",
    ],
  ),
  "services.ftp": text(
    ["FTP is closed", "FTP is open", "Turn off the FTP service on the camera."],
    ["FTP đã đóng", "FTP đang mở", "Tắt dịch vụ FTP trên camera."],
  ),
  "services.ssh": text(
    [
      "SSH is closed",
      "SSH is open",
      "Turn off SSH unless it is needed for maintenance; if it is, allow it only from the maintenance network.",
    ],
    [
      "SSH đã đóng",
      "SSH đang mở",
      "Tắt SSH nếu không cần cho bảo trì; nếu cần, chỉ cho phép truy cập từ mạng bảo trì.",
    ],
  ),
  "services.vendor-sdk": text(
    [
      "The vendor's own remote-access (SDK) ports are closed",
      "The vendor's own remote-access (SDK) ports are open",
      "Turn off the vendor's private protocol if no recorder (NVR) uses it, or allow it only from the recorder's address.",
    ],
    [
      "Cổng giao thức riêng (SDK) của hãng đã đóng",
      "Cổng giao thức riêng (SDK) của hãng đang mở",
      "Tắt giao thức riêng của hãng nếu không có đầu ghi (NVR) nào dùng, hoặc chỉ cho phép từ địa chỉ của đầu ghi.",
    ],
  ),
  "services.upnp": text(
    [
      "UPnP is off",
      "UPnP is on: the camera announces itself and can open ports on the router",
      "Turn off UPnP and UPnP port mapping on the camera.",
    ],
    [
      "UPnP đã tắt",
      "UPnP đang bật: camera tự quảng bá và có thể tự mở cổng trên router",
      "Tắt UPnP và tính năng tự mở cổng (UPnP port mapping) trên camera.",
    ],
  ),
  "services.snmp-public": text(
    [
      "SNMP does not answer the well-known community 'public'",
      "SNMP answers anyone who uses the well-known community 'public'",
      "Turn off SNMP v1/v2c or set a private community name; SNMPv3 with authentication is better.",
    ],
    [
      "SNMP không trả lời khi dùng community phổ biến 'public'",
      "SNMP trả lời bất kỳ ai dùng community phổ biến 'public'",
      "Tắt SNMP v1/v2c hoặc đặt tên community riêng; tốt nhất là dùng SNMPv3 có xác thực.",
    ],
  ),
  "services.cloud-p2p": text(
    [
      "The vendor's cloud, P2P and DDNS services are off",
      "The vendor's cloud, P2P or DDNS service is on: video may leave the site by another path",
      "Turn off the vendor's cloud/P2P service and DDNS; video must leave the site only through the commune center.",
    ],
    [
      "Dịch vụ đám mây, P2P và DDNS của hãng đã tắt",
      "Dịch vụ đám mây, P2P hoặc DDNS của hãng đang bật: video có thể ra ngoài theo đường khác",
      "Tắt dịch vụ đám mây/P2P và DDNS của hãng; video chỉ được ra khỏi điểm kết nối qua trung tâm cấp xã.",
    ],
  ),
  "services.preauth-disclosure": text(
    [
      "Model and firmware version are hidden before login",
      "Anyone can read the model and firmware version without a login",
      "Hide the firmware version from pages that need no login and from the Server header, if the firmware allows it.",
    ],
    [
      "Kiểu máy và phiên bản firmware được ẩn khi chưa đăng nhập",
      "Ai cũng đọc được kiểu máy và phiên bản firmware mà không cần đăng nhập",
      "Ẩn phiên bản firmware khỏi các trang không cần đăng nhập và khỏi tiêu đề Server, nếu firmware cho phép.",
    ],
  ),
  "firmware.known-vulnerable": text(
    [
      "The firmware matches no published vulnerability advisory",
      "The firmware has a published security vulnerability",
      "Update the firmware to the version that the vendor's advisory names as fixed.",
    ],
    [
      "Firmware không nằm trong cảnh báo lỗ hổng đã công bố",
      "Firmware có lỗ hổng bảo mật đã được công bố",
      "Cập nhật firmware lên phiên bản mà cảnh báo của hãng ghi là đã sửa lỗi.",
    ],
  ),
  "vuln.hikvision-cve-2017-7921": text(
    [
      "Not open to the Hikvision login bypass (CVE-2017-7921)",
      "Anyone can get in without a password (Hikvision flaw CVE-2017-7921)",
      "Update the firmware to a version released after May 2017, then change every password: this flaw reveals the list of users.",
    ],
    [
      "Không bị lỗi vượt qua đăng nhập của Hikvision (CVE-2017-7921)",
      "Ai cũng vào được mà không cần mật khẩu (lỗi Hikvision CVE-2017-7921)",
      "Cập nhật firmware lên bản phát hành sau tháng 5/2017, sau đó đổi tất cả mật khẩu vì lỗi này làm lộ danh sách người dùng.",
    ],
  ),
  "vuln.dahua-cve-2021-33044": text(
    [
      "Not open to the Dahua login bypass (CVE-2021-33044)",
      "Anyone can get in without a password (Dahua flaw CVE-2021-33044)",
      "Update the firmware to a version released after July 2021.",
    ],
    [
      "Không bị lỗi vượt qua đăng nhập của Dahua (CVE-2021-33044)",
      "Ai cũng vào được mà không cần mật khẩu (lỗi Dahua CVE-2021-33044)",
      "Cập nhật firmware lên bản phát hành sau tháng 7/2021.",
    ],
  ),
  "time.clock-skew": text(
    [
      "The camera clock agrees with the box (within 5 seconds)",
      "The camera clock is more than 5 seconds off",
      "Set the camera to take its time by NTP from the box or from the site's time server.",
    ],
    [
      "Đồng hồ camera khớp với thiết bị camgate (lệch không quá 5 giây)",
      "Đồng hồ camera lệch quá 5 giây",
      "Cài đặt camera lấy giờ qua NTP từ thiết bị camgate hoặc từ máy chủ thời gian của điểm kết nối.",
    ],
  ),
  "time.ntp": text(
    [
      "The camera takes its time from an NTP server",
      "The camera does not take its time from an NTP server",
      "Set the date and time mode to NTP and enter the site's NTP server.",
    ],
    [
      "Camera lấy giờ từ máy chủ NTP",
      "Camera không lấy giờ từ máy chủ NTP",
      "Chọn chế độ ngày giờ là NTP và nhập địa chỉ máy chủ NTP của điểm kết nối.",
    ],
  ),
  "logging.system-log": text(
    [
      "A security log exists and only administrators can read it",
      "There is no security log, or people other than administrators can read it",
      "Turn on the system (security) log and let only administrators read it; update the firmware if anyone can read it without a login.",
    ],
    [
      "Có nhật ký bảo mật và chỉ quản trị viên đọc được",
      "Không có nhật ký bảo mật, hoặc người không phải quản trị viên cũng đọc được",
      "Bật nhật ký hệ thống (nhật ký bảo mật) và chỉ cho quản trị viên đọc; cập nhật firmware nếu ai cũng đọc được mà không cần đăng nhập.",
    ],
  ),
  "manual.vulnerability-disclosure": text(
    [
      "The vendor publishes how to report vulnerabilities",
      "The vendor does not publish how to report vulnerabilities",
      "Write the address of the vendor's security advisory (PSIRT) page into the site's records.",
    ],
    [
      "Hãng có công bố cách báo cáo lỗ hổng bảo mật",
      "Hãng không công bố cách báo cáo lỗ hổng bảo mật",
      "Ghi địa chỉ trang cảnh báo bảo mật (PSIRT) của hãng vào hồ sơ của điểm kết nối.",
    ],
  ),
  "manual.update-authenticity": text(
    [
      "Firmware updates are signed and checked",
      "Firmware updates are not signed or not checked",
      "Ask the vendor for a written statement that firmware files are signed and checked before they are installed.",
    ],
    [
      "Bản cập nhật firmware được ký số và được kiểm tra",
      "Bản cập nhật firmware không được ký số hoặc không được kiểm tra",
      "Yêu cầu hãng xác nhận bằng văn bản rằng tệp firmware được ký số và được kiểm tra trước khi cài đặt.",
    ],
  ),
  "manual.secure-storage": text(
    [
      "Passwords and keys are stored protected on the camera",
      "Passwords and keys are not stored protected on the camera",
      "Ask the vendor for a written statement of how passwords and keys are stored (hashed, encrypted, or in a security chip).",
    ],
    [
      "Mật khẩu và khóa được lưu an toàn trên camera",
      "Mật khẩu và khóa không được lưu an toàn trên camera",
      "Yêu cầu hãng xác nhận bằng văn bản cách lưu mật khẩu và khóa (dạng băm, mã hóa hoặc trong chip bảo mật).",
    ],
  ),
  "manual.data-deletion": text(
    [
      "A factory reset erases recordings, settings and keys",
      "A factory reset does not erase everything",
      "Check in the manual or the web page that a factory reset erases recordings, settings and keys.",
    ],
    [
      "Khôi phục cài đặt gốc xóa được bản ghi, cấu hình và khóa",
      "Khôi phục cài đặt gốc không xóa hết dữ liệu",
      "Kiểm tra trong sách hướng dẫn hoặc trang quản trị rằng khôi phục cài đặt gốc sẽ xóa bản ghi, cấu hình và khóa.",
    ],
  ),
};

/** The people-facing text of a control, when this build knows the control. */
export function controlText(id: string, lang: Lang): ControlText | undefined {
  return CONTROL_TEXT[id]?.[lang];
}
