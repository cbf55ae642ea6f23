import importlib.util
import time

import gradio as gr
import spaces


def where() -> str:
    """The device a model would use here: the leased GPU, or the CPU."""
    if importlib.util.find_spec("torch") is None:
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.current_device()} {torch.cuda.get_device_name()}"
    return "cpu"


@spaces.GPU(duration=30)
def reverse(text: str, seconds: float = 0.5) -> str:
    """Hold the GPU for `seconds` (a stand-in for a model), then answer."""
    time.sleep(seconds)
    return f"{text[::-1]} (ran on {where()})"


@spaces.GPU(duration=30)
def count(n: int):
    """Stream n numbers while holding the GPU."""
    for i in range(int(n)):
        time.sleep(0.1)
        yield str(i + 1)


with gr.Blocks(title="Zero demo") as demo:
    gr.Markdown("# ⚡ Zero demo\nEach click borrows the shared GPU for the length of the call.")
    with gr.Row():
        text = gr.Textbox(label="text", value="hello")
        seconds = gr.Slider(0, 5, value=0.5, label="seconds on the GPU")
    out = gr.Textbox(label="answer")
    gr.Button("Reverse").click(reverse, [text, seconds], out, api_name="reverse")
    n = gr.Number(value=5, label="n")
    streamed = gr.Textbox(label="count")
    gr.Button("Count").click(count, n, streamed, api_name="count")

if __name__ == "__main__":
    demo.launch()
