"""Turn the media server's raw recordings into one .mp4 (H.264 video, AAC audio).

Janus's VideoRoom records each publisher's tracks as `.mjr` files named
`videoroom-<room>-user-<id>-<start>-<audio|video>-<mindex>.mjr`. `compose_mp4`:

1. reads each file's header (`janus-pp-rec --json --header`) for its codec and the moment its
   first packet was written, which places it on the session's timeline;
2. converts each to a plain container with `janus-pp-rec` (.webm for VP8/VP9, .opus for Opus);
3. lays the participants' videos side by side (each padded with black before it started, so
   late joiners appear at the right time) and mixes every audio track (each delayed the same
   way), with `ffmpeg`, into H.264 + AAC with the index at the front (`+faststart`).

A recording without any video gets a black picture; one without audio gets silence, so the
result always has one video and one audio stream.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

TRACK_NAME = re.compile(r"^(?P<owner>.+)-(?P<kind>audio|video|data)-\d+\.mjr$")
TILE_WIDTH, TILE_HEIGHT = 640, 360
TOOL_TIMEOUT_SECONDS = 60 * 60


class RecordingFailed(Exception):
    """The raw recordings could not be turned into a video; the message says why."""


@dataclass(frozen=True)
class Track:
    path: Path
    owner: str
    kind: str
    codec: str
    first_packet_us: int


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError as missing:
        raise RecordingFailed(f"{command[0]} is not installed on this server.") from missing
    except subprocess.TimeoutExpired as slow:
        raise RecordingFailed(f"{command[0]} took longer than an hour.") from slow
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RecordingFailed(f"{Path(command[0]).name} failed: {' '.join(tail)}")
    return done.stdout


def track_read(path: Path) -> Track | None:
    match = TRACK_NAME.match(path.name)
    if match is None or match["kind"] == "data":
        return None
    header = json.loads(_run(["janus-pp-rec", "--json", "--header", str(path)]) or "{}")
    return Track(
        path=path,
        owner=match["owner"],
        kind=match["kind"],
        codec=str(header.get("c", "")),
        first_packet_us=int(header.get("u") or header.get("s") or 0),
    )


def _convert(track: Track, folder: Path) -> Path:
    extension = "opus" if track.kind == "audio" else "webm"
    target = folder / f"{track.path.stem}.{extension}"
    _run(["janus-pp-rec", str(track.path), str(target)])
    if not target.exists() or target.stat().st_size == 0:
        raise RecordingFailed(f"{track.path.name} held no media.")
    return target


def probe_duration(path: Path) -> float:
    out = _run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    )
    return float(json.loads(out)["format"]["duration"])


def compose_mp4(*, sources: list[Path], output: Path, work_dir: Path) -> float:
    """Write `output` from the raw recordings in `sources`; answers its duration in seconds."""
    if not shutil.which("ffmpeg") or not shutil.which("janus-pp-rec"):
        raise RecordingFailed("ffmpeg and janus-pp-rec must be installed on the worker.")
    tracks = [track for path in sources if (track := track_read(path)) is not None]
    tracks = [track for track in tracks if track.first_packet_us > 0]
    if not tracks:
        raise RecordingFailed("The media server recorded nothing for this session.")
    work_dir.mkdir(parents=True, exist_ok=True)
    start_us = min(track.first_packet_us for track in tracks)
    inputs: list[str] = []
    filters: list[str] = []
    videos: list[str] = []
    audios: list[str] = []
    for index, track in enumerate(sorted(tracks, key=lambda t: (t.owner, t.kind))):
        converted = _convert(track, work_dir)
        inputs += ["-i", str(converted)]
        offset = (track.first_packet_us - start_us) / 1_000_000
        if track.kind == "video":
            label = f"v{len(videos)}"
            filters.append(
                f"[{index}:v]setpts=PTS-STARTPTS,"
                f"scale={TILE_WIDTH}:{TILE_HEIGHT}:force_original_aspect_ratio=decrease,"
                f"pad={TILE_WIDTH}:{TILE_HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,"
                f"tpad=start_duration={offset:.3f}:start_mode=add:color=black[{label}]"
            )
            videos.append(f"[{label}]")
        else:
            label = f"a{len(audios)}"
            delay_ms = int(offset * 1000)
            filters.append(
                f"[{index}:a]asetpts=PTS-STARTPTS,aresample=48000,adelay={delay_ms}:all=1[{label}]"
            )
            audios.append(f"[{label}]")
    count = len(inputs) // 2
    endless = not videos or not audios  # a generated black picture or silence
    if not videos:
        inputs += ["-f", "lavfi", "-i", f"color=c=black:s={TILE_WIDTH}x{TILE_HEIGHT}:r=25"]
        filters.append(f"[{count}:v]null[v0]")
        videos.append("[v0]")
        count += 1
    if not audios:
        inputs += ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
        filters.append(f"[{count}:a]anull[a0]")
        audios.append("[a0]")
        count += 1
    if len(videos) > 1:
        filters.append(f"{''.join(videos)}hstack=inputs={len(videos)}:shortest=0[video]")
    else:
        filters.append(f"{videos[0]}null[video]")
    if len(audios) > 1:
        filters.append(
            f"{''.join(audios)}amix=inputs={len(audios)}:duration=longest:normalize=0[audio]"
        )
    else:
        filters.append(f"{audios[0]}anull[audio]")
    partial = output.with_suffix(".part.mp4")
    _run(
        [
            "ffmpeg",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            *inputs,
            "-filter_complex",
            ";".join(filters),
            "-map",
            "[video]",
            "-map",
            "[audio]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            *(["-shortest"] if endless else []),
            "-movflags",
            "+faststart",
            str(partial),
        ]
    )
    partial.replace(output)
    return probe_duration(output)
