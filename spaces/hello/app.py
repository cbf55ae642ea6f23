import gradio as gr


def greet(name: str) -> str:
    return f"Hello, {name}!"


demo = gr.Interface(fn=greet, inputs=gr.Textbox(label="name"), outputs=gr.Textbox(label="greeting"),
                    title="Hello", api_name="greet")

if __name__ == "__main__":
    demo.launch()
