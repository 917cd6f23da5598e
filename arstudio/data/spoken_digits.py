"""Spoken digits: the words "zero" to "nine" synthesised by espeak-ng, 8 kHz, mu-law coded, with their labels.

This is synthetic speech, not recordings. espeak-ng, a formant synthesiser run as a program (never as a library),
says the ten words in one of twelve fixed English voices: six accents of espeak-ng's stock data, each with one of
its stock male or female variants (VOICES). Each call ("a take") says all ten words in one voice at one speed and
pitch, each word its own sentence with a second's pause after it; the take is cut at the pauses, so one process
makes ten clips (ten processes per take were seven times slower). Every voice walks its own seeded permutation of
the speed-pitch grid, so no rendering repeats: the same word in the same voice at the same speed and pitch is never
in two clips, and a per-example split leaks no clip into another split.

Each word is trimmed of espeak-ng's silence (its start is where the signal first rises above 0.5% of the word's
peak; its end where it last rises above 3%, then 20 ms faded out, which drops the faint echo of some variants),
resampled from espeak-ng's 22.05 kHz to 8 kHz, scaled to a fixed peak and placed 10 ms into a clip of exact
silence (mu-law level 128). The default 0.9 s holds every word; a shorter clip cuts the longer words with a fade.

Each example carries two labels, the digit and the voice (`DataSpec.labels`), for conditional models such as
WaveNet with global conditioning. The clips are made once, the espeak-ng calls in a thread pool, and cached as
.npz like the other generated sets. `spoken_digits_spec` needs no espeak-ng.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from arstudio.data.cache import cache_key, cached_arrays
from arstudio.data.examples import Examples
from arstudio.data.files.audio import pcm_to_float, resample
from arstudio.data.labels import DIGIT_LABELS, LabelSet
from arstudio.data.mulaw import mu_law_encode
from arstudio.data.options import number, whole
from arstudio.data.spec import DataSpec
from arstudio.errors import UserError

VERSION = 1
GENERATION_SEED = 8010
SAMPLE_RATE = 8000
DEFAULT_SECONDS = 0.9
"""Holds every word: the longest (a slow "nine" or "zero" in a female voice) lasts about 0.8 s with its fade."""
DEFAULT_COUNT = 3000
"""25 renderings of each digit in each voice."""
MIN_SECONDS, MAX_SECONDS = 0.3, 4.0

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VOICES = (
    "en+m1",
    "en+f2",
    "en-us+m2",
    "en-us+f1",
    "en+m3",
    "en+f4",
    "en-us+m4",
    "en-us+f3",
    "en-gb-scotland+m5",
    "en-gb-x-rp+f5",
    "en-029+m7",
    "en-gb-x-gbclan+f3",
)
"""espeak-ng voice+variant names, all in its stock data (British, American, Scottish, Received Pronunciation,
Caribbean and Lancashire English). Not "en-gb+...": espeak-ng 1.51 silently ignores the variant there."""
VOICE_LABELS = LabelSet("voice", VOICES)
SPEEDS = tuple(range(130, 211, 5))
"""Words per minute (espeak-ng -s; its default is 175)."""
PITCHES = tuple(range(20, 81, 5))
"""espeak-ng -p, 0 to 99 around the voice's own pitch at 50 (20 to 80 is about 0.8 octave)."""
MAX_COUNT = len(WORDS) * len(VOICES) * len(SPEEDS) * len(PITCHES)

PROGRAM = "espeak-ng"
INSTALL_HINT = "`sudo apt install espeak-ng` on Debian/Ubuntu, `brew install espeak-ng` on macOS"
CALL_TIMEOUT = 60.0
PAUSE_SECONDS = 1.0
"""The pause after each word of a take; the take is cut at pauses of at least GAP_SECONDS."""
GAP_SECONDS = 0.4
LOUD, QUIET = 0.03, 0.005
"""A 10 ms frame above LOUD of the take's peak holds speech; a word starts at its first sample above QUIET of its
peak."""
ONSET_SEARCH_SECONDS = 0.15
TAIL_SECONDS = 0.02
LEAD_SECONDS = 0.01
PEAK = 0.9
FADE_SECONDS = 0.01
SILENCE = 1e-3
"""A take whose peak is below this (of full scale) holds no speech."""


@dataclass(frozen=True)
class Take:
    """One espeak-ng call: the ten words, in order, in one voice at one speed and pitch."""

    voice: int
    speed: int
    pitch: int

    def command(self, program: str = PROGRAM, words: tuple[str, ...] = WORDS) -> list[str]:
        """espeak-ng reading SSML (-m): each word its own sentence, a pause after each."""
        text = "".join(f'<s>{word}</s><break time="{PAUSE_SECONDS * 1000:.0f}ms"/>' for word in words)
        voice = VOICES[self.voice]
        return [program, "-v", voice, "-s", str(self.speed), "-p", str(self.pitch), "-m", "--stdout",
                f"<speak>{text}</speak>"]


def spoken_digits_spec(count: int = DEFAULT_COUNT, clip_seconds: float = DEFAULT_SECONDS) -> DataSpec:
    _, length = _checked(count, clip_seconds)
    return DataSpec("audio", (length,), 256, sample_rate=SAMPLE_RATE, labels=(DIGIT_LABELS, VOICE_LABELS))


def build_spoken_digits(count: int = DEFAULT_COUNT, clip_seconds: float = DEFAULT_SECONDS) -> Examples:
    count, length = _checked(count, clip_seconds)
    key = cache_key("spoken-digits", VERSION, count=count, length=length)
    arrays = cached_arrays(key, lambda: synthesize_clips(count, length))
    return Examples(arrays["clips"], labels=arrays["labels"])


def _checked(count: int, clip_seconds: float) -> tuple[int, int]:
    count = whole("count", count, 10, MAX_COUNT)
    seconds = number("clip_seconds", clip_seconds, MIN_SECONDS, MAX_SECONDS)
    return count, round(seconds * SAMPLE_RATE)


def takes(count: int, seed: int = GENERATION_SEED) -> list[Take]:
    """The takes that make `count` clips (ten each, the last one's surplus dropped).

    The voices take turns, so any count of at least 10 has every digit; each voice walks its own seeded
    permutation of the speed-pitch grid, so no (voice, speed, pitch) repeats.
    """
    n = -(-count // len(WORDS))
    rounds = -(-n // len(VOICES))
    grid = [(s, p) for s in SPEEDS for p in PITCHES]
    walks = [np.random.default_rng([seed, voice]).permutation(len(grid))[:rounds] for voice in range(len(VOICES))]
    plan = []
    for i in range(n):
        round_, voice = divmod(i, len(VOICES))
        speed, pitch = grid[int(walks[voice][round_])]
        plan.append(Take(voice, speed, pitch))
    return plan


def synthesize_clips(count: int, length: int) -> dict[str, np.ndarray]:
    """mu-law clips uint8 [count, length] and their labels int64 [count, 2] (digit, voice)."""
    program = espeak_program()
    plan = takes(count)
    workers = max(1, min(len(plan), 2 * (os.cpu_count() or 1), 32))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="espeak-ng")
    try:
        futures = [pool.submit(render_take, take, length, program) for take in plan]
        clips = np.concatenate([future.result() for future in futures])[:count]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    digits = np.arange(count) % len(WORDS)
    voices = np.array([take.voice for take in plan for _ in WORDS])[:count]
    return {"clips": clips, "labels": np.stack([digits, voices], axis=1).astype(np.int64)}


def espeak_program() -> str:
    """The path of espeak-ng, or a UserError saying how to install it."""
    found = shutil.which(PROGRAM)
    if found is None:
        raise UserError(
            f"The spoken-digits data set is synthesised with espeak-ng, which is not installed (no {PROGRAM} on "
            f"PATH): install it ({INSTALL_HINT}) and try again, or choose another data set."
        )
    return found


def render_take(take: Take, length: int, program: str = PROGRAM) -> np.ndarray:
    """The ten clips of `take` as mu-law levels uint8 [10, length], in digit order."""
    samples, rate = speak(take.command(program), take)
    spans = word_spans(samples, rate)
    if len(spans) != len(WORDS):
        # The pauses were not where they should be (another espeak-ng version?): say the words one by one.
        return np.stack([render_word(take, digit, length, program) for digit in range(len(WORDS))])
    return np.stack([_encode(place_word(samples[a:b], rate, length)) for a, b in spans])


def render_word(take: Take, digit: int, length: int, program: str = PROGRAM) -> np.ndarray:
    """One clip, `digit` said on its own in the voice, speed and pitch of `take` (uint8 [length])."""
    samples, rate = speak(take.command(program, (WORDS[digit],)), take)
    spans = word_spans(samples, rate)
    return _encode(place_word(samples[spans[0][0] : spans[-1][1]], rate, length))


def _encode(audio: np.ndarray) -> np.ndarray:
    return mu_law_encode(audio).astype(np.uint8)


def speak(command: list[str], take: Take) -> tuple[np.ndarray, int]:
    """The WAV espeak-ng writes for `command` as float samples in [-1, 1] and its rate; a UserError if it fails."""
    shown = f"voice {VOICES[take.voice]}, speed {take.speed}, pitch {take.pitch}"
    try:
        done = subprocess.run(command, capture_output=True, timeout=CALL_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"espeak-ng did not finish within {CALL_TIMEOUT:.0f} s ({shown}).") from exc
    except OSError as exc:
        raise UserError(
            f"Could not run espeak-ng ({command[0]}: {exc.strerror or exc}); reinstall it ({INSTALL_HINT})."
        ) from exc
    stderr = done.stderr.decode("utf-8", "replace").strip()
    said = f"; it said: {stderr[-500:]}" if stderr else " and printed no message"
    if done.returncode != 0:
        raise UserError(
            f"espeak-ng failed with exit status {done.returncode} ({shown}){said}. Check that "
            f"`espeak-ng -v {VOICES[take.voice]} hello` speaks, or reinstall it ({INSTALL_HINT})."
        )
    if not done.stdout:
        raise UserError(f"espeak-ng wrote no audio ({shown}){said}. Reinstall it ({INSTALL_HINT}).")
    try:
        samples, rate = read_wav_bytes(done.stdout)
    except (wave.Error, EOFError, ValueError, UserError) as exc:
        raise UserError(
            f"espeak-ng wrote something that is not a WAV file ({shown}: {exc}){said}. Reinstall it ({INSTALL_HINT})."
        ) from exc
    if float(np.abs(samples).max()) < SILENCE:
        raise UserError(f"espeak-ng spoke only silence ({shown}){said}. Check that `espeak-ng hello` speaks.")
    return samples, rate


def read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float samples and the rate of a PCM WAV in memory. espeak-ng --stdout streams its WAV, so the header's
    lengths are placeholders; the frames are whatever follows the header."""
    with wave.open(io.BytesIO(data), "rb") as reader:
        channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
        raw = reader.readframes(reader.getnframes())
    if channels < 1 or rate <= 0:
        raise ValueError(f"a broken header ({channels} channels, {rate} Hz)")
    frame = channels * width
    raw = raw[: len(raw) // frame * frame]
    if not raw:
        raise ValueError("no samples after the header")
    return pcm_to_float(raw, width).reshape(-1, channels).mean(axis=1), rate


def word_spans(samples: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """[start, stop) of each word in `samples`: runs of loud 10 ms frames split at gaps of GAP_SECONDS, each
    started at its first sample above QUIET of its peak and ended TAIL_SECONDS after its last loud frame."""
    frame = max(1, rate // 100)
    count = -(-len(samples) // frame)
    level = np.abs(np.pad(samples, (0, count * frame - len(samples))))
    envelope = level.reshape(count, frame).max(axis=1)
    loud = np.flatnonzero(envelope > LOUD * envelope.max())
    breaks = np.flatnonzero(np.diff(loud) * frame > GAP_SECONDS * rate)
    firsts = np.concatenate([loud[:1], loud[breaks + 1]])
    lasts = np.concatenate([loud[breaks], loud[-1:]])
    spans: list[tuple[int, int]] = []
    for first, last in zip(firsts, lasts, strict=True):
        stop = min(len(samples), (int(last) + 1) * frame + round(TAIL_SECONDS * rate))
        floor = spans[-1][1] if spans else 0
        low = max(floor, int(first) * frame - round(ONSET_SEARCH_SECONDS * rate))
        peak = level[int(first) * frame : stop].max()
        rising = np.flatnonzero(level[low : (int(first) + 1) * frame] > QUIET * peak)
        spans.append((low + int(rising[0]) if rising.size else int(first) * frame, stop))
    return spans


def place_word(word: np.ndarray, rate: int, length: int) -> np.ndarray:
    """`word` (at `rate`, its last TAIL_SECONDS faded out) at 8 kHz, scaled to PEAK, LEAD_SECONDS into `length`
    samples of silence; cut with a short fade where the clip is shorter than the word."""
    word = np.array(word, dtype=np.float64)
    tail = min(len(word), round(TAIL_SECONDS * rate))
    if tail:
        word[len(word) - tail :] *= np.linspace(1.0, 0.0, tail)
    audio = resample(word, rate, SAMPLE_RATE)
    lead = round(LEAD_SECONDS * SAMPLE_RATE)
    room = max(0, length - lead)
    if len(audio) > room:
        audio = audio[:room].copy()
        fade = min(len(audio), round(FADE_SECONDS * SAMPLE_RATE))
        if fade:
            audio[len(audio) - fade :] *= np.linspace(1.0, 0.0, fade)
    clip = np.zeros(length)
    top = float(np.abs(audio).max()) if audio.size else 0.0
    if top > 0:
        clip[lead : lead + len(audio)] = audio * (PEAK / top)
    return clip
