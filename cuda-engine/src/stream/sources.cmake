# Streaming pipeline: O_DIRECT reads (src/io), the device interface's CPU side, the weight
# streamer's rings and threads, and link-speed measurement. The CUDA StreamDevice is listed with
# the CUDA backend (src/cuda).
set(NT_STREAM_SOURCES
  io/direct_reader.cc
  io/image_reader.cc
  stream/cpu_stream_device.cc
  stream/weight_streamer.cc
  stream/measure_links.cc
)
set(NT_STREAM_TEST_SOURCES
  test/stream/stream_test_file.cc
  test/stream/direct_reader_test.cc
  test/stream/weight_streamer_test.cc
  test/stream/measure_links_test.cc
  test/stream/cuda_stream_device_test.cc  # empty without the CUDA backend
)
