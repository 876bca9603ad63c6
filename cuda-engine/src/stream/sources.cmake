# Streaming pipeline: O_DIRECT reads (src/io), the weight streamer's rings and threads, and
# link-speed measurement. Each backend's StreamDevice is listed with the backend (src/cpu, src/cuda).
set(NT_STREAM_SOURCES
  io/storage_reader.cc
  io/open_storage_reader.cc
  io/direct_reader.cc
  io/image_reader.cc
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
