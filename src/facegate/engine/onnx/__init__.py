"""dlib's own models on onnxruntime: a pure-Python reader of dlib's DNN files, ONNX graphs
built from them, a conversion cache, and the backends that run them."""
