FROM spacehost/python:3.11-bookworm
COPY . .
CMD ["python", "app.py"]
