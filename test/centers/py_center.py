#!/usr/bin/python3
"""A commune center built from docs/asyncapi.yaml alone, in another language with another
MQTT library (Python 3, Debian's python3-paho-mqtt 1.6 and python3-cryptography).

It knows nothing of camgate's code: every rule it applies is quoted from the document. It
connects with mutual TLS, receives and checks everything a box sends (segments reassembled and
hashed, the access-log chain re-computed, audit signatures verified, msg-id de-duplication),
sends the commands of a scenario and checks each reply, then writes a JSON summary and a dump of
every message it received (for the test to check against the document's schemas).

    /usr/bin/python3 py_center.py CONFIG.json

CONFIG: host, port, ca, cert, key (the center's TLS identity), site, signingKey (the center's
RSA private key, PEM), dir (where it writes), clipCamera (an on-demand camera), liveCamera,
deadlineSeconds.
"""

import base64
import datetime
import hashlib
import json
import math
import os
import re
import secrets
import ssl
import sys
import threading
import time

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

# ---------------------------------------------------------------------------------------------
# Canonical JSON, RFC 8785 (JCS), as the document's "Canonical JSON" section states it.

ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def jcs_string(text):
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append(ESCAPES.get(code, "\\u%04x" % code))
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError("a lone surrogate has no canonical form")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def jcs_number(value):
    """ECMAScript's Number.prototype.toString, from the shortest digits that round-trip."""
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("JCS has no form for NaN or Infinity")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return sign + head + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def jcs(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return jcs_number(value)
    if isinstance(value, str):
        return jcs_string(value)
    if isinstance(value, list):
        return "[" + ",".join(jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        # Member names compared as UTF-16 code units (RFC 8785, 3.2.3).
        names = sorted(value, key=lambda name: name.encode("utf-16-be"))
        return "{" + ",".join(jcs_string(n) + ":" + jcs(value[n]) for n in names) + "}"
    raise TypeError("not a JSON value: %r" % (value,))


def jcs_bytes(value):
    return jcs(value).encode("utf-8")


def self_test():
    """The examples of RFC 8785 and of the document; a center that fails them stops here."""
    rfc = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert jcs(rfc) == expected, jcs(rfc)
    order = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    assert [json.loads(jcs(order))[k] for k in json.loads(jcs(order))] == [2, 4, 6, 7, 1, 5, 3]
    for value, text in [(5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
                        (9007199254740992, "9007199254740992"), (1e21, "1e+21"),
                        (295147905179352830000.0, "295147905179352830000"),
                        (9.999999999999997e22, "9.999999999999997e+22"), (1e23, "1e+23"),
                        (0.000001, "0.000001"), (9.999999999999997e-7, "9.999999999999997e-7"),
                        (-0.0000033333333333333333, "-0.0000033333333333333333"),
                        (1424953923781206.2, "1424953923781206.2"), (5.0, "5"), (-0.0, "0")]:
        assert jcs_number(value) == text, (value, jcs_number(value), text)
    # The access-log example of the document (AccessPayload.examples).
    entry = {
        "seq": 1, "ts": "2026-11-23T08:15:00.000Z", "tsMs": 1795421700000,
        "actor": "cán bộ Nguyễn Thị Hằng", "action": "cmd/recordings.lock", "target": "cam-1",
        "purpose": 'Điều tra "khẩn"\ntừ 08:00', "result": "ok",
        "detail": {"from": "2026-11-23T08:00:00.000Z", "signed": True}, "prevHash": "0" * 64,
    }
    assert access_hash(entry) == "2b1a7ed1d8defb60489b9bc225fc4b35c8473ed1a0d966b5226fd2ed1add3fda"
    return True


# ---------------------------------------------------------------------------------------------
# What the document says about each kind of message.

PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
MSG_ID = re.compile(r"^([0-9a-f]{16})-([1-9][0-9]{0,15})$")
REPLY_LEVEL = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def access_hash(payload):
    """The hash of an access entry: SHA-256 of the JCS of the payload without schema, ts, hash."""
    hashed = {k: v for k, v in payload.items() if k not in ("schema", "ts", "hash")}
    return hashlib.sha256(jcs_bytes(hashed)).hexdigest()


def props_of(message):
    properties = message.properties
    users = {}
    for name, value in getattr(properties, "UserProperty", None) or []:
        users.setdefault(name, value)
    return {
        "contentType": getattr(properties, "ContentType", None),
        "messageExpiryInterval": getattr(properties, "MessageExpiryInterval", None),
        "correlationData": getattr(properties, "CorrelationData", None),
        "userProperties": users,
    }


class AccessChain:
    """Re-computes every entry's hash and checks the links, as "Access log" states them."""

    def __init__(self):
        self.entries = []
        self.problems = []
        self.last = None

    def add(self, entry):
        if access_hash(entry) != entry["hash"]:
            self.problems.append("entry %s: hash does not re-compute" % entry["seq"])
        if self.last is None:
            if entry["seq"] == 1 and entry["prevHash"] != "0" * 64:
                self.problems.append("entry 1: prevHash is not 64 zeros")
        else:
            if entry["seq"] != self.last["seq"] + 1:
                self.problems.append("entry %s follows %s" % (entry["seq"], self.last["seq"]))
            if entry["prevHash"] != self.last["hash"]:
                self.problems.append("entry %s: prevHash is not the hash before" % entry["seq"])
        self.last = entry
        self.entries.append(entry)


class Segments:
    """Reassembles chunks at `i × chunk-bytes` and checks the whole against both hashes."""

    def __init__(self, root):
        self.root = root
        self.open = {}
        self.index = {}
        self.done = {}
        self.duplicates = 0
        self.problems = []

    def index_entry(self, camera, entry):
        key = (camera, entry["segmentId"])
        self.index[key] = entry
        if key in self.done:
            self._against_index(key)

    def chunk(self, camera, segment_id, headers, payload):
        try:
            chunk, chunks = int(headers["chunk"]), int(headers["chunks"])
            chunk_bytes, size = int(headers["chunk-bytes"]), int(headers["bytes"])
            sha256 = headers["sha256"]
        except (KeyError, ValueError) as error:
            self.problems.append("segment %s: bad chunk header %s" % (segment_id, error))
            return
        if int(headers.get("segment-id", "0")) != segment_id:
            self.problems.append("segment %s: segment-id header differs" % segment_id)
        if chunks != max(1, math.ceil(size / chunk_bytes)) or not 0 <= chunk < chunks:
            self.problems.append("segment %s: chunk %s of %s does not fit"
                                 % (segment_id, chunk, chunks))
            return
        expected = chunk_bytes if chunk < chunks - 1 else size - (chunks - 1) * chunk_bytes
        if len(payload) != expected:
            self.problems.append("segment %s chunk %s: %s bytes, not %s"
                                 % (segment_id, chunk, len(payload), expected))
            return
        key = (camera, segment_id)
        if key in self.done:
            self.duplicates += 1
            return
        transfer = self.open.get(key)
        same = transfer is not None and transfer["chunk-bytes"] == chunk_bytes
        if not same or transfer["sha256"] != sha256:
            path = os.path.join(self.root, "%s-%s.part" % (camera, segment_id))
            transfer = {"chunk-bytes": chunk_bytes, "sha256": sha256, "bytes": size,
                        "chunks": chunks, "received": set(), "path": path}
            with open(path, "wb"):
                pass
            self.open[key] = transfer
        if chunk in transfer["received"]:
            self.duplicates += 1
            return
        with open(transfer["path"], "r+b") as file:
            file.seek(chunk * chunk_bytes)
            file.write(payload)
        transfer["received"].add(chunk)
        if len(transfer["received"]) == chunks:
            self._complete(key, transfer)

    def _complete(self, key, transfer):
        with open(transfer["path"], "r+b") as file:
            file.truncate(transfer["bytes"])
        with open(transfer["path"], "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
        final = transfer["path"][: -len(".part")] + ".ts"
        os.replace(transfer["path"], final)
        del self.open[key]
        self.done[key] = {"camera": key[0], "segmentId": key[1], "bytes": transfer["bytes"],
                          "sha256": digest, "file": final, "chunks": transfer["chunks"],
                          "verified": digest == transfer["sha256"], "index": "missing"}
        if digest != transfer["sha256"]:
            self.problems.append("segment %s: hash of the whole is not the header's" % key[1])
        self._against_index(key)

    def _against_index(self, key):
        entry, done = self.index.get(key), self.done[key]
        if entry is None:
            return
        same = entry["sha256"] == done["sha256"] and entry["bytes"] == done["bytes"]
        done["index"] = "match" if same else "mismatch"
        done["media"] = entry.get("media")
        if not same:
            self.problems.append("segment %s: index entry differs from the video" % key[1])


class Center:
    def __init__(self, config):
        self.config = config
        self.site = config["site"]
        self.lock = threading.Lock()
        self.seen = threading.Condition(self.lock)
        self.dump = open(os.path.join(config["dir"], "messages.jsonl"), "w", encoding="utf-8")
        self.segments = Segments(config["dir"])
        self.access = AccessChain()
        self.msg_ids = {}
        self.msg_id_duplicates = 0
        self.problems = []
        self.status = []
        self.audits = {}
        self.live = {}
        self.replies = {}
        self.counts = {}
        with open(config["ca"], "rb") as file:
            self.ca = x509.load_pem_x509_certificate(file.read())

    # -- receiving --------------------------------------------------------------------------

    def on_message(self, _client, _userdata, message):
        props = props_of(message)
        record = {"topic": message.topic, "qos": message.qos, "retain": bool(message.retain),
                  "contentType": props["contentType"],
                  "messageExpiryInterval": props["messageExpiryInterval"],
                  "userProperties": props["userProperties"]}
        if props["contentType"] == "application/json":
            record["payload"] = message.payload.decode("utf-8")
        else:
            record["payloadBytes"] = len(message.payload)
        self.dump.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.dump.flush()
        with self.lock:
            try:
                self._dispatch(message, props)
            except Exception as error:  # a message the document does not allow
                self.problems.append("%s: %s: %s" % (message.topic, type(error).__name__, error))
            self.seen.notify_all()

    def _dispatch(self, message, props):
        parts = message.topic.split("/")
        if parts[:3] != ["camgate", "v1", self.site]:
            return
        rest = parts[3:]
        if rest[:1] == ["cmd"]:
            return  # our own commands, through the wildcard
        family = rest[0] if len(rest) == 1 else (rest[2] if rest[0] == "cameras" else rest[0])
        self.counts[family] = self.counts.get(family, 0) + 1
        if rest[0] == "cameras" and rest[2] == "video":
            headers = props["userProperties"]
            return self.segments.chunk(rest[1], int(rest[3]), headers, message.payload)
        if rest[0] == "cameras" and rest[2] == "live":
            return self._live(rest[1], props["userProperties"], message.payload)
        body = json.loads(message.payload.decode("utf-8"))
        if rest[0] == "reply":
            return self._reply(message.topic, rest[1], props, body)
        if self._duplicate(message.topic, props["userProperties"].get("msg-id")):
            return
        if family == "status":
            self.status.append(body)
        elif family == "access":
            self.access.add(body)
        elif family == "segments":
            self.segments.index_entry(rest[1], body)
        elif family == "audit":
            self.audits[rest[1]] = {"reportId": body["reportId"], "signed": body["signed"],
                                    "verified": self._verify_audit(body)}

    def _duplicate(self, topic, msg_id):
        """The document's rule: per topic, the last (epoch, sequence); not above it is a resend."""
        if msg_id is None:
            return False
        match = MSG_ID.match(msg_id)
        if not match:
            raise ValueError("msg-id %r is not <epoch>-<sequence>" % msg_id)
        epoch, sequence = match.group(1), int(match.group(2))
        last = self.msg_ids.get(topic)
        if last is not None and last[0] == epoch and sequence <= last[1]:
            self.msg_id_duplicates += 1
            return True
        self.msg_ids[topic] = (epoch, sequence)
        return False

    def _live(self, camera, headers, payload):
        session = self.live.setdefault(headers["session"], {
            "camera": camera, "pieces": 0, "bytes": 0, "final": False, "nextSeq": 0,
            "file": os.path.join(self.config["dir"], "live-%s.mp4" % headers["session"])})
        seq = int(headers["seq"])
        if seq != session["nextSeq"]:
            self.problems.append("live %s: piece %s after %s"
                                 % (headers["session"], seq, session["nextSeq"] - 1))
        session["nextSeq"] = seq + 1
        with open(session["file"], "ab") as file:
            file.write(payload)
        session["pieces"] += 1
        session["bytes"] += len(payload)
        if headers.get("final") == "true":
            session["final"] = True
            if payload:
                self.problems.append("live %s: the final piece is not empty" % headers["session"])

    def _reply(self, topic, level, props, body):
        key = (props["correlationData"] or b"").hex()
        if key in self.replies:
            return  # "A reply may arrive twice: match by correlation data and keep the first."
        self.replies[key] = {"topic": topic, "level": level, "body": body}

    def _verify_audit(self, body):
        """"Signatures" of the document: chain, site name, keyId, then RSA-PSS over the JCS."""
        if not body["signed"]:
            return False
        pem = body["signerCertificate"].encode("ascii")
        certificate = x509.load_pem_x509_certificate(pem)  # the first: the box's own
        key = self.ca.public_key()
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                           ec.ECDSA(certificate.signature_hash_algorithm))
            else:
                key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                           padding.PKCS1v15(), certificate.signature_hash_algorithm)
        except InvalidSignature:
            self.problems.append("audit: the signer certificate is not from our CA")
            return False
        common_names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        names = [attribute.value for attribute in common_names]
        if self.site not in names:
            self.problems.append("audit: the signer certificate does not name the site")
            return False
        report = dict(body["report"])
        signature = report.pop("signature")
        spki = certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        key_id = hashlib.sha256(spki).hexdigest()
        if signature["algorithm"] != "RSA-PSS-SHA256" or signature["keyId"] != key_id:
            self.problems.append("audit: algorithm or keyId is not the document's")
            return False
        try:
            certificate.public_key().verify(base64.b64decode(signature["value"]), jcs_bytes(report),
                                            PSS, hashes.SHA256())
            return True
        except InvalidSignature:
            self.problems.append("audit: the signature does not verify")
            return False

    def wait(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    self.problems.append("timed out waiting for " + what)
                    return False
                self.seen.wait(left)
        return True


def iso(moment):
    """An ISO 8601 UTC instant with milliseconds, as the document's timestamps are written."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Commands:
    """Sends commands as the `commands` channel describes, signed when they are video commands."""

    VIDEO = ("clip.request", "live.start", "recordings.lock")

    def __init__(self, center, client, signing_key):
        self.center = center
        self.client = client
        self.key = signing_key
        self.results = []

    def authorization(self, purpose):
        now = datetime.datetime.now(datetime.timezone.utc)
        return {"requester": "cán bộ Nguyễn Thị Hằng", "purpose": purpose,
                "issuedAt": iso(now - datetime.timedelta(seconds=1)),
                "expiresAt": iso(now + datetime.timedelta(hours=1)),
                "nonce": secrets.token_urlsafe(16)}

    def sign(self, site, name, args):
        data = jcs_bytes({"site": site, "command": name, "args": args})
        return base64.b64encode(self.key.sign(data, PSS, hashes.SHA256())).decode("ascii")

    def send(self, label, name, args, sign_for=None, sign_as=None, level="py-center", topic=None):
        """Publishes `cmd/<name>`, signed for a site (and as a command name) when asked."""
        site = self.center.site
        properties = Properties(PacketTypes.PUBLISH)
        properties.ContentType = "application/json"
        properties.ResponseTopic = topic or "camgate/v1/%s/reply/%s" % (site, level)
        correlation = secrets.token_bytes(8)
        properties.CorrelationData = correlation
        if sign_for is not None:
            properties.UserProperty = [("signature", self.sign(sign_for, sign_as or name, args))]
        payload = json.dumps(args, ensure_ascii=False).encode("utf-8")
        self.client.publish("camgate/v1/%s/cmd/%s" % (site, name), payload, qos=1,
                            properties=properties)
        return {"label": label, "name": name, "key": correlation.hex(), "sentAt": time.time()}

    def reply(self, sent, timeout=30):
        key = sent["key"]
        replied = lambda: key in self.center.replies
        self.center.wait("the reply to " + sent["label"], replied, timeout)
        with self.center.lock:
            reply = self.center.replies.get(key)
        self.results.append({"label": sent["label"], "command": sent["name"],
                             "topic": reply and reply["topic"], "reply": reply and reply["body"]})
        return reply and reply["body"]


def run(config):
    result = {"selfTest": self_test()}
    center = Center(config)
    with open(config["signingKey"], "rb") as file:
        signing_key = serialization.load_pem_private_key(file.read(), password=None)
    client = mqtt.Client(client_id="py-center-" + secrets.token_hex(4), protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=config["ca"], certfile=config["cert"], keyfile=config["key"],
                   tls_version=ssl.PROTOCOL_TLS_CLIENT)
    subscribed = threading.Event()

    def on_connect(client, _userdata, _flags, reason, _properties):
        if reason.value >= 0x80:
            center.problems.append("connect refused: %s" % reason)
            return
        # Re-subscribed on every connect, as "What the center needs" says.
        client.subscribe("camgate/v1/+/#", options=SubscribeOptions(qos=1, retainAsPublished=True))

    client.on_connect = on_connect
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_message = center.on_message
    connect = Properties(PacketTypes.CONNECT)
    connect.SessionExpiryInterval = 3600
    client.connect(config["host"], config["port"], keepalive=30, clean_start=False,
                   properties=connect)
    client.loop_start()
    try:
        if not subscribed.wait(20):
            center.problems.append("no SUBACK")
        scenario(center, Commands(center, client, signing_key), config, result)
    finally:
        client.disconnect()
        client.loop_stop()
    with center.lock:
        result.update(summary(center))
    return result


def scenario(center, commands, config, result):
    site, clip_camera, live_camera = center.site, config["clipCamera"], config["liveCamera"]
    center.wait("the box online", lambda: any(s["state"] == "online" for s in center.status), 30)
    result["status"] = commands.reply(commands.send("status", "status.get", {}))
    audit = commands.send("audit", "audit.run", {"camera": live_camera})

    # A clip of the on-demand camera: the first three segments its index announced.
    center.wait("three index entries of the clip camera",
                lambda: sum(1 for c, _ in center.segments.index if c == clip_camera) >= 3, 40)
    with center.lock:
        entries = sorted((e for (c, _), e in center.segments.index.items() if c == clip_camera),
                         key=lambda e: e["startMs"])[:3]
    clip_args = {"camera": clip_camera, "from": entries[0]["start"], "to": entries[-1]["end"],
                 **commands.authorization("Trích xuất đoạn phim — vụ việc 17")}
    clip = commands.reply(commands.send("clip", "clip.request", clip_args, sign_for=site))
    wanted = [(clip_camera, s["id"]) for s in (clip or {}).get("result", {}).get("segments", [])]
    result["clipSegments"] = [s for _, s in wanted]

    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    lock_args = {"camera": clip_camera, "from": entries[0]["start"], "to": entries[-1]["end"],
                 "until": iso(tomorrow), "reason": "Giữ bằng chứng: \"khẩn\"\n\tđiểm 1 \\ cổng",
                 **commands.authorization("Điều tra vụ việc số 17 — phường Ba Đình")}
    commands.reply(commands.send("lock", "recordings.lock", lock_args, sign_for=site))

    live_args = {"camera": live_camera, "seconds": 60,
                 **commands.authorization("Xem trực tiếp")}
    live = commands.reply(commands.send("live", "live.start", live_args, sign_for=site))
    session = (live or {}).get("result", {}).get("session")
    center.wait("a live piece", lambda: center.live.get(session, {}).get("bytes", 0) > 0, 20)
    commands.reply(commands.send("live-stop", "live.stop", {"camera": live_camera}))
    center.wait("the final live piece", lambda: center.live.get(session, {}).get("final"), 20)

    # What the box must refuse, each with the document's code.
    unsigned = {"camera": live_camera, "seconds": 5, **commands.authorization("không ký")}
    commands.reply(commands.send("unsigned", "live.start", unsigned))
    replayed = dict(lock_args, **commands.authorization("ký cho điểm khác"))
    commands.reply(commands.send("other-site", "recordings.lock", replayed, sign_for="other-site"))
    as_clip = {"camera": clip_camera, "from": entries[0]["start"], "to": entries[-1]["end"],
               **commands.authorization("ký như lệnh khác")}
    commands.reply(commands.send("other-command", "clip.request", as_clip, sign_for=site,
                                 sign_as="recordings.lock"))
    commands.reply(commands.send("two-levels", "status.get", {}, level="py-center/extra"))
    foreign = {"camera": live_camera, "seconds": 5, **commands.authorization("chủ đề lạ")}
    commands.reply(commands.send("foreign-topic", "live.start", foreign, sign_for=site,
                                 topic="camgate/v1/other-site/reply/py-center"))
    commands.reply(commands.send("discovery", "discovery.run", {}))
    commands.reply(commands.send("unknown", "camera.reboot", {}))
    commands.reply(audit, timeout=60)

    center.wait("the clip's segments", lambda: all(k in center.segments.done for k in wanted), 30)
    center.wait("the audited camera's signed report", lambda: live_camera in center.audits, 20)
    sent = len(commands.results)
    logged = lambda: sum(1 for e in center.access.entries if e["action"].startswith("cmd/"))
    center.wait("an access entry per command", lambda: logged() >= sent, 20)
    result["commands"] = commands.results


def summary(center):
    return {
        "problems": center.problems + center.segments.problems + center.access.problems,
        "counts": center.counts,
        "status": center.status,
        "segments": sorted(center.segments.done.values(), key=lambda s: s["segmentId"]),
        "openTransfers": len(center.segments.open),
        "chunkDuplicates": center.segments.duplicates,
        "msgIdDuplicates": center.msg_id_duplicates,
        "access": center.access.entries,
        "audits": center.audits,
        "live": center.live,
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        config = json.load(file)
    deadline = threading.Timer(config.get("deadlineSeconds", 90), lambda: os._exit(3))
    deadline.daemon = True
    deadline.start()
    result = run(config)
    with open(os.path.join(config["dir"], "summary.json"), "w", encoding="utf-8") as file:
        json.dump(result, file, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
