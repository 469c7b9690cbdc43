"""A receipt that never was paper in front of the camera: shown on a phone's screen and
either captured (a screenshot) or photographed with another phone (a re-photographed
screen). The positives of the screen detectors (``training_data.fraud_eval``).

The re-photographed screen is drawn the way light reaches the second camera: every camera
pixel looks at a point of the screen (a homography: the phone held at a slight angle)
and sees the red, green or blue stripe of the screen pixel there, or the dark gap between
pixels. Sampling that grid at the camera's pitch aliases into moiré, as real recaptures
do; the lens softens it, glare and the sensor's grain come on top, then JPEG.
"""

import random

import cv2
import numpy as np
from PIL import Image, ImageDraw

from training_data.synth.camera import clutter, desk, glare, jpeg, sensor

# Screens as phones capture them (portrait pixels).
SCREENS = ((1170, 2532), (1080, 2400), (1080, 2340), (1284, 2778), (750, 1334),
           (1125, 2436), (720, 1600), (1440, 3200))
BACKGROUNDS = ((255, 255, 255), (245, 245, 245), (237, 237, 237), (242, 242, 247),
               (25, 25, 25))
SUBPIXEL_FILL = 0.8  # of each screen pixel's height lit; the rest is the dark grid


def phone_screen(print_rgb: Image.Image, rng: random.Random,
                 size: tuple[int, int] | None = None) -> Image.Image:
    """The receipt as a chat or photo app shows it: status bar, title bar, the image zoomed
    to the width (scrolled, when it is taller than the screen)."""
    width, height = size or rng.choice(SCREENS)
    background = rng.choice(BACKGROUNDS)
    screen = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(screen)
    bar = round(height * 0.045)
    ink = (0, 0, 0) if sum(background) > 300 else (255, 255, 255)
    draw.text((round(width * 0.08), bar // 3), f"{rng.randint(8, 21)}:{rng.randint(10, 59)}",
              fill=ink)
    draw.rectangle((width * 0.85, bar * 0.35, width * 0.92, bar * 0.65), outline=ink, width=2)
    title_colour = tuple(max(0, c - rng.randint(0, 12)) for c in background)
    draw.rectangle((0, bar, width, bar * 2.3), fill=title_colour)
    draw.text((width // 2 - 20, round(bar * 1.4)), "小票" if rng.random() < 0.5 else "Photo",
              fill=ink)
    shown_width = round(width * rng.uniform(0.82, 1.0))
    scale = shown_width / print_rgb.width
    shown = print_rgb.resize((shown_width, round(print_rgb.height * scale)),
                             Image.Resampling.BILINEAR)
    room = height - round(bar * 2.6) - round(height * 0.04)
    shown = shown.crop((0, 0, shown.width, min(shown.height, room)))
    screen.paste(shown, ((width - shown_width) // 2, round(bar * 2.4)))
    return screen


def screenshot(print_rgb: Image.Image, rng: random.Random) -> Image.Image:
    return phone_screen(print_rgb, rng)


def screen_photo(print_rgb: Image.Image, rng: random.Random) -> Image.Image:
    """Another phone's photo of the screen showing the receipt."""
    gen = np.random.default_rng(rng.getrandbits(64))
    screen = np.asarray(phone_screen(print_rgb, rng, rng.choice(SCREENS)), np.float32) / 255
    cam_w = rng.randint(1000, 1500)
    cam_h = round(cam_w * 4 / 3)
    to_screen = _camera_to_screen(rng, (cam_w, cam_h), screen.shape[1::-1])
    u, v = _screen_coordinates(to_screen, cam_w, cam_h)
    inside = (u >= 0) & (u < screen.shape[1]) & (v >= 0) & (v < screen.shape[0])
    content = cv2.remap(screen, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    depth = rng.uniform(0.35, 0.9)  # how sharply the camera resolves the grid
    emitted = content * (1 - depth + depth * _subpixels(u, v)) * rng.uniform(0.85, 1.05)
    scene = clutter(desk(gen, rng, (cam_w, cam_h)), rng) * 0.6
    bezel = cv2.dilate(inside.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
    scene[bezel] = rng.uniform(0.02, 0.08)
    scene[inside] = emitted[inside]
    scene = cv2.GaussianBlur(scene, (0, 0), rng.uniform(0.4, 0.9))
    scene = glare(scene, rng, 1.0)
    return jpeg(sensor(scene, gen, rng, rng.uniform(0.1, 0.5)), rng, rng.uniform(0.1, 0.5))


def _camera_to_screen(rng: random.Random, camera: tuple[int, int],
                      screen: tuple[int, int]) -> np.ndarray:
    """A homography from camera pixels to screen pixels: the screen fills most of the
    frame, turned a few degrees, its far edge a little narrower."""
    cam_w, cam_h = camera
    scr_w, scr_h = screen
    fill = rng.uniform(0.6, 0.92) * min(cam_w / scr_w, cam_h / scr_h)
    w, h = scr_w * fill, scr_h * fill
    cx, cy = cam_w / 2 + rng.uniform(-0.05, 0.05) * cam_w, cam_h / 2
    tilt = rng.uniform(0, 0.06)
    corners = np.array([(-w / 2 * (1 - tilt), -h / 2), (w / 2 * (1 - tilt), -h / 2),
                        (w / 2, h / 2), (-w / 2, h / 2)], np.float32)
    angle = np.radians(rng.uniform(-6, 6))
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    placed = (corners @ turn.T + (cx, cy)).astype(np.float32)
    flat = np.array([(0, 0), (scr_w, 0), (scr_w, scr_h), (0, scr_h)], np.float32)
    return cv2.getPerspectiveTransform(placed, flat)


def _screen_coordinates(to_screen: np.ndarray, cam_w: int, cam_h: int):
    xs, ys = np.meshgrid(np.arange(cam_w, dtype=np.float32), np.arange(cam_h, dtype=np.float32))
    points = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ to_screen.T
    return ((points[..., 0] / points[..., 2]).astype(np.float32),
            (points[..., 1] / points[..., 2]).astype(np.float32))


def _subpixels(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Each camera pixel's view of the RGB stripes (camera order: the image is RGB), four
    samples per pixel, normalised to a mean of one."""
    lit = np.zeros((*u.shape, 3), np.float32)
    for du, dv in ((-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)):
        fu, fv = np.modf(u + du)[0], np.modf(v + dv)[0]
        row_lit = np.abs(fv) < SUBPIXEL_FILL
        stripe = np.floor(np.abs(fu) * 3).astype(np.int8)
        for channel in range(3):
            lit[..., channel] += (stripe == channel) & row_lit
    return lit / lit.mean()
