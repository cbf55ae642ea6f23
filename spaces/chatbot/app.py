import time

import gradio as gr


def respond(message: str, history: list):
    words = f"You said: {message}. Streaming works through spacehost.".split()
    reply = ""
    for word in words:
        reply = f"{reply} {word}".strip()
        time.sleep(0.05)
        yield reply


demo = gr.ChatInterface(fn=respond, title="Streaming chatbot", api_name="chat")

if __name__ == "__main__":
    demo.launch()
