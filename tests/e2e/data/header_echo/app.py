import gradio as gr


def seen(text: str, request: gr.Request) -> dict:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return {"text": text, "headers": headers, "cookies": dict(request.cookies)}


demo = gr.Interface(seen, gr.Textbox(), gr.JSON(), api_name="seen")
demo.launch()
