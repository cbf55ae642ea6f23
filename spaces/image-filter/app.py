import gradio as gr
import numpy as np
from PIL import Image, ImageFilter

SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])


def apply(image: Image.Image, kind: str) -> Image.Image:
    rgb = image.convert("RGB")
    if kind == "invert":
        return Image.fromarray(255 - np.asarray(rgb))
    if kind == "blur":
        return rgb.filter(ImageFilter.GaussianBlur(3))
    sepia = np.asarray(rgb, dtype=np.float64) @ SEPIA.T
    return Image.fromarray(np.clip(sepia, 0, 255).astype(np.uint8))


demo = gr.Interface(
    fn=apply,
    inputs=[gr.Image(type="pil", label="image"),
            gr.Radio(["sepia", "invert", "blur"], value="sepia", label="filter")],
    outputs=gr.Image(type="pil", label="filtered", format="png"),
    title="Image filter",
    api_name="filter",
)

if __name__ == "__main__":
    demo.launch()
