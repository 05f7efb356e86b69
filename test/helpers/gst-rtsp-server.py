#!/usr/bin/python3
"""GStreamer's RTSP server: a second, independent RTSP implementation the recorder tests pull from.

Usage: gst-rtsp-server.py ADDRESS PORT MOUNT [MOUNT...]

Each MOUNT is a path with an optional query naming what it serves, e.g.
  /test                                   H.264 320x240 at 15 fps, 256 kbit/s (the default)
  /hevc?video=h265&size=640x360&kbps=512  H.265
  /cam?audio=pcmu                         H.264 with G.711 mu-law audio (pcmu, pcma, aac)
  /mjpeg?video=mjpeg                      Motion JPEG
  /uhd?video=h265&size=3840x2160&fps=2&kbps=8000&pattern=smpte
                                          4K: moving colour bars cost the encoder its bitrate
                                          (a ball on black costs it almost nothing)
  /noise?pattern=snow&kbps=2000           videotestsrc's pattern (ball by default; snow fills
                                          any bitrate asked)
  /grow?size=320x240&resize=640x360@6     6 s after the server started, the picture size changes:
                                          in the sessions playing (new SPS, same session) and
                                          for every session after (a camera reconfigured)
Every mount has its own pipeline per session (not shared): each client sees its stream from the
start. x264 encodes one slice per picture and the payloader sends SPS/PPS before each keyframe
(config-interval=-1 with several slices makes keyframes whose parts share one DTS, which no
ffmpeg copy survives).

With GST_RTSP_USER and GST_RTSP_PASSWORD in the environment (never in argv, which every local
user can read), every mount asks for Digest authentication only, or Basic only with
GST_RTSP_AUTH=basic. Prints READY when listening;
runs until SIGTERM."""
import os
import signal
import sys
from urllib.parse import parse_qs, urlsplit

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

VIDEO = {
    "h264": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={kbps} "
    "sliced-threads=false threads=1 ! video/x-h264,profile=baseline "
    "! rtph264pay name=pay0 pt=96 config-interval=-1",
    "h265": "x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={kbps} "
    "option-string=frame-threads=1:pools=1 ! rtph265pay name=pay0 pt=96 config-interval=-1",
    "mjpeg": "jpegenc quality=50 ! rtpjpegpay name=pay0 pt=26",
}
AUDIO = {
    "pcmu": "mulawenc ! rtppcmupay name=pay1",
    "pcma": "alawenc ! rtppcmapay name=pay1",
    "aac": "audioconvert ! voaacenc bitrate=32000 ! rtpmp4gpay name=pay1 pt=97",
}
AUDIO_RATE = {"pcmu": 8000, "pcma": 8000, "aac": 16000}
PATTERN = {
    "ball": "pattern=ball",
    "smpte": "pattern=smpte horizontal-speed=16",
    "snow": "pattern=snow",
}


def mount_spec(text: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(text)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return parts.path, options


def launch_line(options: dict[str, str], size: str | None = None) -> str:
    width, height = (size or options.get("size", "320x240")).split("x")
    fps = int(options.get("fps", "15"))
    kbps = int(options.get("kbps", "256"))
    video = VIDEO[options.get("video", "h264")].format(gop=fps, kbps=kbps)
    line = (
        f"videotestsrc is-live=true {PATTERN[options.get('pattern', 'ball')]} ! videoscale ! videoconvert "
        f"! capsfilter name=size caps=video/x-raw,format=I420,width={width},height={height},"
        f"framerate={fps}/1 ! {video}"
    )
    audio = options.get("audio")
    if audio:
        rate = AUDIO_RATE[audio]
        line += (
            f" audiotestsrc is-live=true wave=sine freq=440 volume=0.2 "
            f"! audio/x-raw,rate={rate},channels=1 ! {AUDIO[audio]}"
        )
    return f"( {line} )"


def schedule_resize(factory, options: dict[str, str]) -> None:
    """`resize`=WxH@SECONDS: that long after start, the mount's picture size changes for good."""
    size, _, after = options["resize"].partition("@")
    width, height = (int(value) for value in size.split("x"))
    fps = int(options.get("fps", "15"))
    playing = []
    factory.connect("media-configure", lambda _f, media: playing.append(media))

    def resize() -> bool:
        factory.set_launch(launch_line(options, size))
        caps = f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1"
        for media in playing:
            element = media.get_element().get_by_name("size")
            if element is not None:
                element.set_property("caps", Gst.Caps.from_string(caps))
        return False

    GLib.timeout_add(int(float(after) * 1000), resize)


def require_auth(server, factories, user: str, password: str, method: str) -> None:
    """Only `user` with `password`, and only with `method` (digest or basic): never the other."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    if method == "basic":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(user, password, token)
    server.set_auth(auth)
    role = "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    for factory in factories:
        factory.add_role_from_structure(Gst.Structure.from_string(role)[0])


def main() -> None:
    address, port, mounts = sys.argv[1], sys.argv[2], sys.argv[3:]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(address)
    server.set_service(port)
    factories = []
    for text in mounts:
        path, options = mount_spec(text)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(options))
        factory.set_shared(False)
        if "resize" in options:
            schedule_resize(factory, options)
        server.get_mount_points().add_factory(path, factory)
        factories.append(factory)
    user, password = os.environ.get("GST_RTSP_USER"), os.environ.get("GST_RTSP_PASSWORD")
    if user and password:
        require_auth(server, factories, user, password, os.environ.get("GST_RTSP_AUTH", "digest"))
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on {address}:{port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print("READY", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
